"""The rows a path forecaster learns from and is scored on: each row's next H bars, gap-free.

Targets are log returns of the next bars' open, high, low and close against the row's close
(they look H bars ahead: the callers keep them clear of the holdout). `sigma` is the
historical-volatility baseline's input: the RMS of the trailing one-bar log returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import F64, I64, Index
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.labels import forward_ohlc_log
from candlecast.trainer.dataset import Dataset

MIN_TRAILING = 20  # one-bar returns the baseline needs at least


@dataclass(frozen=True, slots=True)
class PathRows:
    rows: Index  # dataset positions, increasing
    fwd: F64  # (m, steps, 4) log returns vs the row's close
    sigma: F64  # (m,) RMS of up to `window` trailing one-bar log returns
    close: F64  # (m,) the row's close


def thin(rows: Index, steps: int, max_cells: int) -> Index:
    """At most max_cells / (4 * steps) rows, evenly spread, the newest always kept."""
    keep = max(1, max_cells // (4 * steps))
    if rows.shape[0] <= keep:
        return rows
    stride = int(np.ceil(rows.shape[0] / keep))
    return rows[::-1][::stride][::-1]


def trailing_rms(close: F64, at: Index, window: int) -> F64:
    """sqrt(mean(r^2)) of the (up to) `window` one-bar log returns ending at bar `at`; NaN if too few."""
    r2 = np.r_[0.0, np.cumsum(np.diff(np.log(close)) ** 2)]
    start = np.maximum(at - window, 0)
    count = at - start
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt((r2[at] - r2[start]) / count)
    return np.where(count >= MIN_TRAILING, rms, np.nan)


def series_rows(bars: Bars, ts: I64, steps: int, step_ms: int, window: int) -> tuple[F64, F64, F64]:
    at = np.searchsorted(bars.ts, ts)
    if not np.array_equal(bars.ts[np.minimum(at, len(bars) - 1)], ts):
        raise ValueError(f"{bars.symbol}: dataset timestamps are not bar timestamps")
    fwd = forward_ohlc_log(bars.open, bars.high, bars.low, bars.close, steps, at)
    end = bars.ts[np.minimum(at + steps, len(bars) - 1)]
    gap_free = (at + steps < len(bars)) & (end - bars.ts[at] == steps * step_ms)
    fwd[~gap_free] = np.nan
    return fwd, trailing_rms(bars.close, at, window), bars.close[at]


def path_rows(
    data: Dataset, series: Sequence[Bars], rows: Index, steps: int, step_ms: int, window: int
) -> PathRows:
    """Targets for `rows` (dataset positions); rows without a full, gap-free path or baseline are dropped."""
    by_symbol = {bars.symbol: bars for bars in series}
    fwd = np.full((rows.shape[0], steps, 4), np.nan)
    sigma = np.full(rows.shape[0], np.nan)
    close = np.full(rows.shape[0], np.nan)
    for i, name in enumerate(data.symbols):
        mine = np.flatnonzero(data.symbol[rows] == i)
        if mine.shape[0]:
            got = series_rows(by_symbol[name], data.ts[rows[mine]], steps, step_ms, window)
            fwd[mine], sigma[mine], close[mine] = got
    ok = np.isfinite(fwd).all(axis=(1, 2)) & np.isfinite(sigma) & (sigma > 0)
    return PathRows(rows=rows[ok], fwd=fwd[ok], sigma=sigma[ok], close=close[ok])
