"""A seeded synthetic market: a geometric random walk with no predictable signal.

Pure: no clock, no I/O. Each symbol has its own random streams, derived from the seed
and the symbol name, and each stream draws a fixed amount per bar, so the path does
not depend on how it is cut into chunks or which other symbols are generated.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.timeframes import timeframe_ms

if TYPE_CHECKING:
    from collections.abc import Sequence

WICK_SCALE = 0.5  # mean wick length, in units of `vol`
VOLUME_LOG_MEAN = 5.0
VOLUME_LOG_SD = 0.5


@dataclass(slots=True)
class _Walk:
    """One symbol's path: its random streams and where it has got to."""

    symbol: str
    returns: np.random.Generator
    wicks: np.random.Generator
    volumes: np.random.Generator
    log_price: float
    index: int = 0


def _walk(symbol: str, seed: int, start_price: float) -> _Walk:
    key = zlib.crc32(symbol.encode())
    returns, wicks, volumes = (np.random.default_rng(s) for s in np.random.SeedSequence([seed, key]).spawn(3))
    return _Walk(symbol, returns, wicks, volumes, float(np.log(start_price)))


class SyntheticMarket:
    """Successive chunks of bars for several symbols, continuing one seeded path."""

    def __init__(
        self,
        symbols: Sequence[str],
        timeframe: str,
        start_ts: int,
        seed: int,
        *,
        start_price: float = 100.0,
        vol: float = 0.002,
    ) -> None:
        if start_price <= 0 or vol < 0:
            raise ValueError("start_price must be > 0 and vol >= 0")
        self.timeframe = timeframe
        self.step_ms = timeframe_ms(timeframe)
        self.start_ts = start_ts
        self.vol = vol
        self._walks = [_walk(s, seed, start_price) for s in symbols]

    def next_chunk(self, n: int) -> list[Bars]:
        """The next `n` bars of every symbol, in the order the symbols were given."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return [self._advance(walk, n) for walk in self._walks]

    def _advance(self, walk: _Walk, n: int) -> Bars:
        steps = walk.returns.standard_normal(n) * self.vol
        # A running sum continued from the last price adds in the same order as one long sum.
        log_path = np.cumsum(np.concatenate([[walk.log_price], steps]))
        open_, close = np.exp(log_path[:-1]), np.exp(log_path[1:])
        wick_up, wick_down = walk.wicks.standard_exponential((n, 2)).T * (self.vol * WICK_SCALE)
        high = np.maximum(open_, close) * np.exp(wick_up)
        low = np.minimum(open_, close) * np.exp(-wick_down)
        volume = np.exp(VOLUME_LOG_MEAN + VOLUME_LOG_SD * walk.volumes.standard_normal(n))
        ts = self.start_ts + (walk.index + np.arange(n, dtype=np.int64)) * self.step_ms
        walk.log_price = float(log_path[-1])
        walk.index += n
        return Bars(walk.symbol, self.timeframe, ts, open_, high, low, close, volume)


def synthetic_bars(
    symbols: Sequence[str],
    timeframe: str,
    start_ts: int,
    n: int,
    seed: int,
    *,
    start_price: float = 100.0,
    vol: float = 0.002,
) -> list[Bars]:
    """`n` bars per symbol of a seeded geometric random walk (i.i.d. normal log returns)."""
    return SyntheticMarket(symbols, timeframe, start_ts, seed, start_price=start_price, vol=vol).next_chunk(n)
