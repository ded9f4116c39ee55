"""Purged, expanding walk-forward folds over the rows before the final holdout.

The tuning rows' distinct timestamps are cut into `n_splits + 1` equal blocks. Fold k validates
on block k + 1 and trains on every row whose label ends before that block starts, so a training
row at `t` satisfies `t < valid_start - embargo_ms` with `embargo_ms >= label_span_ms`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import I64, Index
from candlecast.trainer.split import purged_train

TUNE_ROWS = 75_000  # newest pre-holdout rows the folds use: 200 trials of ~390k x 122 in 10 min on 2 cores
N_SPLITS = 4  # three folds to tune on, the newest one left unseen for calibration


class LeakageError(AssertionError):
    """A training row's label reaches into its validation block."""


@dataclass(frozen=True, slots=True)
class Fold:
    """Row positions (into the `ts` given to `walk_forward`) of one fold."""

    train: Index
    valid: Index


def walk_forward(
    ts: I64,
    n_splits: int,
    embargo_ms: int,
    label_span_ms: int,
    max_rows: int | None = TUNE_ROWS,
) -> list[Fold]:
    """Expanding folds in time order; with `max_rows`, only the newest rows take part."""
    if n_splits < 1:
        raise ValueError(f"n_splits must be >= 1, got {n_splits}")
    first = 0 if max_rows is None or max_rows >= ts.shape[0] else ts.shape[0] - max_rows
    unique_ts = np.unique(ts[first:])
    if unique_ts.shape[0] < 2 * (n_splits + 1):
        raise ValueError(f"too few timestamps ({unique_ts.shape[0]}) for {n_splits} folds")
    edges = unique_ts[np.linspace(0, unique_ts.shape[0], n_splits + 2).astype(np.int64)[1:-1]]
    folds = []
    for k in range(n_splits):
        start = int(edges[k])
        end = int(edges[k + 1]) if k + 1 < n_splits else None
        train = purged_train(ts, start, embargo_ms, label_span_ms)
        train = train[train >= first]
        valid = np.flatnonzero((ts >= start) & (ts < end) if end is not None else ts >= start)
        if train.shape[0] == 0 or valid.shape[0] == 0:
            raise ValueError(f"fold {k} is empty after the {embargo_ms} ms embargo")
        folds.append(Fold(train=train, valid=valid))
    assert_purged(ts, folds, embargo_ms)
    return folds


def assert_purged(ts: I64, folds: list[Fold], embargo_ms: int) -> None:
    """Raise LeakageError unless every training ts < the fold's earliest validation ts - embargo."""
    for k, fold in enumerate(folds):
        if fold.train.shape[0] == 0 or fold.valid.shape[0] == 0:
            raise LeakageError(f"fold {k} has an empty side")
        last_train, first_valid = int(ts[fold.train].max()), int(ts[fold.valid].min())
        if not last_train < first_valid - embargo_ms:
            raise LeakageError(
                f"fold {k}: training ts {last_train} is not before {first_valid} - embargo {embargo_ms} ms"
            )
