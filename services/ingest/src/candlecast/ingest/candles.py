"""Pure rules for exchange candles: which are closed, what is missing, when to poll, how long to back off.

Times are UTC epoch ms; `tf` is the timeframe length in ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from candlecast.shared.core.bars import Bars, first_per_ts

SETTLE_MS = 2_000  # a candle counts as closed this long after its close time on the exchange's clock


def closed_before(exchange_now: int, tf: int, settle_ms: int = SETTLE_MS) -> int:
    """End (exclusive) of the open times of closed candles: t is closed when t + tf <= now - settle.

    `exchange_now` must be read from the exchange before the candles are requested, so a
    candle the exchange called forming can never pass. No grid rounding: it holds for
    candles that do not open on multiples of tf too (Binance's weeks open on Mondays).
    """
    return exchange_now - settle_ms - tf + 1


def next_poll(exchange_now: int, tf: int, settle_ms: int = SETTLE_MS, next_open: int | None = None) -> int:
    """Exchange time of the next poll: once the next candle due (open at `next_open`) has settled,
    or, when that time has passed already (a hole, a late exchange), after the next tf boundary."""
    if next_open is not None and next_open + tf + settle_ms > exchange_now:
        return next_open + tf + settle_ms
    return (exchange_now - settle_ms) // tf * tf + tf + settle_ms


def missing_runs(stored: np.ndarray, start: int, end: int, tf: int) -> list[tuple[int, int]]:
    """Runs [a, b) of bar times in [start, end) on the tf grid that `stored` (sorted ts) lacks."""
    first = -(-start // tf) * tf
    grid = np.arange(first, end, tf, dtype=np.int64)
    absent = grid[~np.isin(grid, stored)]
    if not len(absent):
        return []
    breaks = np.flatnonzero(np.diff(absent) != tf) + 1
    return [(int(run[0]), int(run[-1]) + tf) for run in np.split(absent, breaks)]


def rows_to_bars(rows: Sequence[Sequence[Any]], symbol: str, timeframe: str) -> Bars:
    """ccxt OHLCV rows ([ts, o, h, l, c, v]) as Bars, sorted, one row per ts, incomplete rows dropped."""
    complete = [r for r in rows if len(r) >= 6 and all(x is not None for x in r[:6])]
    if not complete:
        return Bars.empty(symbol, timeframe)
    cols = np.array([[float(x) for x in r[1:6]] for r in complete], dtype=np.float64).T
    ts = np.array([int(r[0]) for r in complete], dtype=np.int64)
    return first_per_ts(Bars(symbol, timeframe, ts, cols[0], cols[1], cols[2], cols[3], cols[4]))


def backoff_s(attempt: int, base_s: float, cap_s: float, retry_after_s: float | None) -> float:
    """Exponential backoff (base * 2^attempt, capped), never shorter than the server's Retry-After."""
    delay = min(cap_s, base_s * 2.0**attempt)
    return float(max(delay, retry_after_s or 0.0))
