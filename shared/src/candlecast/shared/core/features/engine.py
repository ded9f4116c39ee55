"""The two drivers over the one kernel: online `advance` and batch `compute`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.bars import Bars, Columns
from candlecast.shared.core.features.catalog import DEFAULT
from candlecast.shared.core.features.kernel import INVALID_BAR, OUT_OF_ORDER, run
from candlecast.shared.core.features.specs import FeatureSet
from candlecast.shared.core.features.state import FeatureState, new_state


class OutOfOrderError(ValueError):
    """A bar's ts is not after the previous one's."""


@dataclass(frozen=True, slots=True)
class FeatureRows:
    """Emitted rows: `values[i]` holds the features of the bar opening at `ts[i]`."""

    ts: I64
    values: F64
    names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.ts.shape[0])


def _f64(values: F64) -> F64:
    return np.ascontiguousarray(values, dtype=np.float64)


def advance(state: FeatureState, bars: Bars) -> FeatureRows:
    """Fold `bars` (strictly after `state.last_ts`) into `state`; return the rows emitted."""
    if bars.timeframe != state.timeframe:
        raise ValueError(f"bars are {bars.timeframe}, state is {state.timeframe}")
    n = len(bars)
    out_ts = np.empty(n, dtype=np.int64)
    out = np.empty((n, state.sel.shape[0]), dtype=np.float64)
    columns = (
        np.ascontiguousarray(bars.ts, dtype=np.int64),
        _f64(bars.open),
        _f64(bars.high),
        _f64(bars.low),
        _f64(bars.close),
        _f64(bars.volume),
    )
    m = _run(state, bars.symbol, columns, out_ts, out)
    return FeatureRows(out_ts[:m], out[:m], state.feature_set.names)


def advance_columns(
    state: FeatureState, symbol: str, timeframe: str, columns: Columns, out_ts: I64, out: F64
) -> int:
    """`advance` for one series' bars as the kernel reads them (contiguous int64 ts and float64
    prices of one length, as `Stacked.columns` gives them, not copied), writing its rows to the
    first rows of `out_ts` and `out` (views into one buffer for a batch of many series, say);
    returns how many rows it wrote."""
    if timeframe != state.timeframe:
        raise ValueError(f"bars are {timeframe}, state is {state.timeframe}")
    n = columns[0].shape[0]
    if out_ts.shape[0] < n or out.shape[0] < n or out.shape[1] != state.sel.shape[0]:
        raise ValueError(f"output of shape {out.shape} for {n} bars of {state.sel.shape[0]} features")
    return _run(state, symbol, columns, out_ts, out)


def _run(state: FeatureState, symbol: str, columns: Columns, out_ts: I64, out: F64) -> int:
    arrays = (state.fl, state.it, state.ring, state.deq)
    m: int = run(columns, arrays, state.tf_ms, state.sel, state.need, out_ts, out)
    if m == -OUT_OF_ORDER:
        raise OutOfOrderError(f"{symbol}: bar ts must increase and follow {state.last_ts}")
    if m == -INVALID_BAR:
        raise ValueError(f"{symbol}: need finite prices with 0 < low <= open, close <= high; volume >= 0")
    return m


def compute(bars: Bars, feature_set: FeatureSet = DEFAULT) -> FeatureRows:
    """Batch: the rows `advance` would emit for `bars` from a fresh state."""
    return advance(new_state(feature_set, bars.timeframe), bars)
