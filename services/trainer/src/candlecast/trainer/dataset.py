"""Training rows pooled over symbols: features at t, the up label and log return for t + horizon."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.features import compute
from candlecast.shared.core.labels import assert_no_label_columns, forward_log_return, up_label

if TYPE_CHECKING:
    from collections.abc import Sequence

    from candlecast.shared.core.bars import Bars
    from candlecast.shared.core.features import FeatureSet


@dataclass(frozen=True, slots=True)
class Dataset:
    """Rows sorted by `ts` (ties keep the order of `symbols`); `symbol` indexes `symbols`.

    `ret` is the forward log return over the label's horizon (for the backtest, never a feature).
    """

    X: F64
    y: F64
    ret: F64
    ts: I64
    symbol: I64
    symbols: tuple[str, ...]
    feature_names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.ts.shape[0])


def labelled_rows(bars: Bars, feature_set: FeatureSet, horizon: int) -> tuple[F64, F64, I64, F64]:
    """(X, y, ts, ret) of one series, without the tail rows whose label is still unknown."""
    rows = compute(bars, feature_set)
    if tuple(rows.names) != tuple(feature_set.names):
        raise ValueError(f"feature rows {rows.names} != feature set {feature_set.names}")
    at = np.searchsorted(bars.ts, rows.ts)
    if rows.ts.shape[0] and not np.array_equal(bars.ts[np.minimum(at, len(bars) - 1)], rows.ts):
        raise ValueError(f"{bars.symbol}: feature timestamps are not bar timestamps")
    y = up_label(bars.close, horizon)[at]
    ret = forward_log_return(bars.close, horizon)[at]
    known = np.isfinite(y)
    return rows.values[known], y[known], rows.ts[known], ret[known]


def build_dataset(series: Sequence[Bars], feature_set: FeatureSet, horizon: int) -> Dataset:
    """Rows of every series, pooled and sorted by time."""
    assert_no_label_columns(feature_set.names)
    if not series:
        raise ValueError("no series to build a dataset from")
    parts = [labelled_rows(bars, feature_set, horizon) for bars in series]
    symbol = np.concatenate([np.full(p[2].shape[0], i, dtype=np.int64) for i, p in enumerate(parts)])
    ts = np.concatenate([p[2] for p in parts])
    order = np.argsort(ts, kind="stable")
    return Dataset(
        X=np.concatenate([p[0] for p in parts])[order],
        y=np.concatenate([p[1] for p in parts])[order],
        ret=np.concatenate([p[3] for p in parts])[order],
        ts=ts[order],
        symbol=symbol[order],
        symbols=tuple(bars.symbol for bars in series),
        feature_names=tuple(feature_set.names),
    )
