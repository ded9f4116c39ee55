"""A cost-aware sign backtest on the holdout, against buy-and-hold.

Holding periods never overlap: from the first holdout timestamp, the next period starts at the
first timestamp at least `hold_ms` (the label span) later. Each period every symbol present is
long (P(up) > 0.5 + band), short (< 0.5 - band) or flat; the book is the equal-weight mean over
symbols of position x simple forward return, minus `fee_bps` per unit of position change.
"""

from __future__ import annotations

import numpy as np

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.card_sections import Backtest, BuyAndHold

METHOD = (
    "non-overlapping periods of one label span from the first holdout bar; per period, "
    "equal-weight mean over symbols of sign position x simple forward return, "
    "fee_bps per unit of position change (entry and exit); Sharpe annualised by periods_per_year"
)


def period_starts(ts: I64, hold_ms: int) -> I64:
    """Greedy non-overlapping grid: each start is the first ts >= the previous start + hold_ms."""
    unique_ts = np.unique(ts)
    starts = []
    i = 0
    while i < unique_ts.shape[0]:
        starts.append(int(unique_ts[i]))
        i = int(np.searchsorted(unique_ts, unique_ts[i] + hold_ms, side="left"))
    return np.asarray(starts, dtype=np.int64)


def _grid(values: F64, ts: I64, symbol: I64, starts: I64, n_symbols: int, fill: float) -> F64:
    """A (periods, symbols) table of `values` at the period starts; `fill` where a symbol is absent."""
    table = np.full((starts.shape[0], n_symbols), fill)
    at = np.searchsorted(starts, ts)
    hit = (at < starts.shape[0]) & (starts[np.minimum(at, starts.shape[0] - 1)] == ts)
    table[at[hit], symbol[hit]] = values[hit]
    return table


def _summary(returns: F64, periods_per_year: float) -> tuple[float, float, float]:
    """(total return, annualised Sharpe, max drawdown) of per-period simple returns."""
    equity = np.cumprod(1.0 + returns)
    peak = np.maximum.accumulate(np.r_[1.0, equity])[1:]
    sd = float(np.std(returns))
    sharpe = float(np.mean(returns)) / sd * np.sqrt(periods_per_year) if sd > 0 else 0.0
    return float(equity[-1] - 1.0), sharpe, float(np.max(1.0 - equity / peak))


def positions(p: F64, band: float) -> F64:
    return np.where(p > 0.5 + band, 1.0, np.where(p < 0.5 - band, -1.0, 0.0))


def backtest(
    p: F64,
    fwd_ret: F64,
    ts: I64,
    symbol: I64,
    *,
    hold_ms: int,
    fee_bps: float,
    band: float,
    periods_per_year: float,
) -> Backtest:
    """Sign strategy vs equal-weight buy-and-hold on the same periods; `fwd_ret` are log returns."""
    if not p.shape == fwd_ret.shape == ts.shape == symbol.shape or p.shape[0] == 0:
        raise ValueError("p, fwd_ret, ts and symbol must be non-empty and of one length")
    starts = period_starts(ts, hold_ms)
    n_symbols = int(symbol.max()) + 1
    simple = _grid(np.expm1(fwd_ret), ts, symbol, starts, n_symbols, np.nan)
    present = np.isfinite(simple)
    pos = np.where(present, _grid(positions(p, band), ts, symbol, starts, n_symbols, 0.0), 0.0)
    change = np.abs(np.diff(np.vstack([np.zeros((1, n_symbols)), pos, np.zeros((1, n_symbols))]), axis=0))
    change[-2] += change[-1]  # the final exit is paid in the last period
    width = np.maximum(present.sum(axis=1), 1)
    gross = np.where(present, pos * np.nan_to_num(simple), 0.0).sum(axis=1) / width
    net = gross - (fee_bps / 1e4) * change[:-1].sum(axis=1) / width
    active = pos != 0.0
    total, sharpe, drawdown = _summary(net, periods_per_year)
    hold = np.nanmean(np.where(present, simple, np.nan), axis=1)
    bh_total, bh_sharpe, bh_drawdown = _summary(np.nan_to_num(hold), periods_per_year)
    return Backtest(
        fee_bps=fee_bps,
        band=band,
        periods=int(starts.shape[0]),
        trades=int(np.count_nonzero(change[:-1])),
        hit_rate=float(np.mean((pos * np.nan_to_num(simple))[active] > 0)) if active.any() else float("nan"),
        total_return=total,
        sharpe=sharpe,
        max_drawdown=drawdown,
        turnover=float(np.mean(change[:-1].sum(axis=1) / width)),
        buy_and_hold=BuyAndHold(total_return=bh_total, sharpe=bh_sharpe, max_drawdown=bh_drawdown),
        method=METHOD,
    )
