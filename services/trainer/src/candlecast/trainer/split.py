"""Time-ordered splits with an embargo, so no training label overlaps the holdout.

A training row at `t` has a label that looks `horizon` bars ahead, so it must end before the
holdout starts: train rows satisfy `t < cutoff - embargo_ms` with `embargo_ms >= label_span_ms`.
The purged walk-forward folds (folds.py) train on `purged_train` rows too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import I64, Index
from candlecast.shared.core.timeframes import timeframe_ms


@dataclass(frozen=True, slots=True)
class Split:
    """Row indices of the training set and the final holdout."""

    train: Index
    holdout: Index
    cutoff_ts: int


def label_span_ms(horizon: int, timeframe: str) -> int:
    """How far into the future a label looks: the minimum embargo."""
    return horizon * timeframe_ms(timeframe)


def purged_train(ts: I64, cutoff_ts: int, embargo_ms: int, label_span: int) -> Index:
    """Rows safely before `cutoff_ts`: their labels end before the embargo starts."""
    if embargo_ms < label_span:
        raise ValueError(f"embargo {embargo_ms} ms is shorter than the label span {label_span} ms")
    return np.flatnonzero(ts < cutoff_ts - embargo_ms)


def time_split(ts: I64, holdout_fraction: float, embargo_ms: int, label_span: int) -> Split:
    """Holdout: rows at or after the cutoff (the quantile of unique timestamps); train: purged."""
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must be in (0, 1), got {holdout_fraction}")
    unique_ts = np.unique(ts)
    if unique_ts.shape[0] < 2:
        raise ValueError("need at least two distinct timestamps to split")
    at = int(np.floor(unique_ts.shape[0] * (1.0 - holdout_fraction)))
    cutoff = int(unique_ts[min(max(at, 1), unique_ts.shape[0] - 1)])
    train = purged_train(ts, cutoff, embargo_ms, label_span)
    if train.shape[0] == 0:
        raise ValueError("no training rows left before the embargo")
    return Split(train=train, holdout=np.flatnonzero(ts >= cutoff), cutoff_ts=cutoff)
