"""Per-period returns of the holdout sign strategy and of buy-and-hold, for the equity plot.

The same periods, positions and fees as `backtest.backtest` (which reports only summaries):
non-overlapping periods of one label span, equal weight over the symbols present.
"""

from __future__ import annotations

import numpy as np

from candlecast.shared.core.arrays import F64, I64
from candlecast.trainer.backtest import period_starts, positions
from candlecast.trainer.plots import EquityCurve


def _table(values: F64, ts: I64, symbol: I64, starts: I64, fill: float) -> F64:
    """(periods, symbols) table of `values` at the period starts; `fill` where a symbol is absent."""
    table = np.full((starts.shape[0], int(symbol.max()) + 1), fill)
    at = np.minimum(np.searchsorted(starts, ts), starts.shape[0] - 1)
    hit = starts[at] == ts
    table[at[hit], symbol[hit]] = values[hit]
    return table


def equity_curve(
    p: F64, fwd_ret: F64, ts: I64, symbol: I64, *, hold_ms: int, fee_bps: float, band: float
) -> EquityCurve:
    """Net simple return per period of the strategy, and of equal-weight buy-and-hold."""
    starts = period_starts(ts, hold_ms)
    simple = _table(np.expm1(fwd_ret), ts, symbol, starts, np.nan)
    present = np.isfinite(simple)
    pos = np.where(present, _table(positions(p, band), ts, symbol, starts, 0.0), 0.0)
    padded = np.vstack([np.zeros((1, pos.shape[1])), pos, np.zeros((1, pos.shape[1]))])
    change = np.abs(np.diff(padded, axis=0))
    change[-2] += change[-1]  # the final exit is paid in the last period
    width = np.maximum(present.sum(axis=1), 1)
    gross = np.where(present, pos * np.nan_to_num(simple), 0.0).sum(axis=1) / width
    net = gross - (fee_bps / 1e4) * change[:-1].sum(axis=1) / width
    hold = np.where(present, simple, 0.0).sum(axis=1) / width
    return EquityCurve(ts=starts, strategy=net, buy_and_hold=hold)
