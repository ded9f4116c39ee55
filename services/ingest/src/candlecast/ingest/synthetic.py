"""A seeded synthetic market: a geometric random walk, optionally with a planted signal,
volatility regimes and a common factor that correlates the symbols (see drivers.py).

With `signal` b > 0 each log return gets a momentum term, r[t] = e[t] + b * m[t-1], where
m is the exponentially weighted mean of past log returns (span SIGNAL_SPAN bars): a
feature computed from past bars alone can then predict the coming returns. The noise e
is scaled so that returns keep the standard deviation `vol`. With b = 0 (the default)
the path is exactly the plain random walk, draw for draw.

Pure: no clock, no I/O (`due(now)` takes the time from the caller). Each symbol has its
own random streams, derived from the seed and the symbol name, and each stream draws a
fixed amount per bar, so the path does not depend on how it is cut into chunks or which
other symbols are generated.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from candlecast.ingest.drivers import Regimes, drivers, mix
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.timeframes import timeframe_ms

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

F64 = npt.NDArray[np.float64]

WICK_SCALE = 0.5  # mean wick length, in units of `vol`
VOLUME_LOG_MEAN = 5.0
VOLUME_LOG_SD = 0.5
SIGNAL_SPAN = 10  # bars: the planted momentum is an EWMA of past log returns with this span
SIGNAL_DECAY = 1.0 - 2.0 / (SIGNAL_SPAN + 1)


@dataclass(slots=True)
class _Walk:
    """One symbol's path: its random streams and where it has got to."""

    symbol: str
    returns: np.random.Generator
    wicks: np.random.Generator
    volumes: np.random.Generator
    log_price: float
    index: int = 0
    momentum: float = 0.0  # m at the last bar, the planted predictor


def _walk(symbol: str, seed: int, start_price: float) -> _Walk:
    key = zlib.crc32(symbol.encode())
    returns, wicks, volumes = (np.random.default_rng(s) for s in np.random.SeedSequence([seed, key]).spawn(3))
    return _Walk(symbol, returns, wicks, volumes, float(np.log(start_price)))


def noise_scale(signal: float) -> float:
    """sd(r) / sd(e) for r[t] = e[t] + b * m[t-1]; exactly 1.0 when b = 0."""
    gain = 1.0 - SIGNAL_DECAY
    rho = SIGNAL_DECAY + gain * signal  # m[t] = rho * m[t-1] + gain * e[t]
    return float(np.sqrt(1.0 + (signal * gain) ** 2 / (1.0 - rho**2)))


def _ewma_step(returns: F64, signal: float, momentum: float) -> tuple[F64, float]:
    """Returns plus signal * m[t-1], and m after the last one (a sequential loop:
    the result does not depend on where chunks are cut)."""
    out = []
    m = momentum
    for e in returns.tolist():
        r = e + signal * m
        m = SIGNAL_DECAY * m + (1.0 - SIGNAL_DECAY) * r
        out.append(r)
    return np.asarray(out, dtype=np.float64), m


def planted_predictor(close: F64) -> F64:
    """m[t]: the EWMA of log returns up to bar t (0 at bar 0), from closes <= t only.

    In a market made with `signal` b, E[r[t+1] | past] = b * m[t]: the oracle feature.
    """
    r = np.diff(np.log(close), prepend=np.log(close[:1]))
    m = np.empty_like(r)
    level = 0.0
    for i, x in enumerate(r.tolist()):
        level = SIGNAL_DECAY * level + (1.0 - SIGNAL_DECAY) * x
        m[i] = level
    return m


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
        signal: float = 0.0,
        regimes: Regimes | None = None,
        correlation: float = 0.0,
        start_prices: Mapping[str, float] | None = None,
    ) -> None:
        prices = {s: (start_prices or {}).get(s, start_price) for s in symbols}
        if min(prices.values(), default=start_price) <= 0 or vol < 0:
            raise ValueError("start_price must be > 0 and vol >= 0")
        if not 0.0 <= signal < 1.0:
            raise ValueError(f"signal must be in [0, 1), got {signal}")
        self.timeframe = timeframe
        self.step_ms = timeframe_ms(timeframe)
        self.start_ts = start_ts
        self.vol = vol
        self.signal = signal
        self._noise_vol = vol / noise_scale(signal)
        self.correlation = correlation
        self._drivers = drivers(seed, regimes, correlation)
        self._walks = [_walk(s, seed, prices[s]) for s in symbols]
        self._produced = 0

    @property
    def next_ts(self) -> int:
        """Open time of the next bar the market will produce."""
        return self.start_ts + self._produced * self.step_ms

    def due(self, now: int) -> int:
        """How many of the coming bars have closed (ts + timeframe <= `now`, UTC ms)."""
        return max(0, (now - self.next_ts) // self.step_ms)

    def next_chunk(self, n: int) -> list[Bars]:
        """The next `n` bars of every symbol, in the order the symbols were given."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        scale, factor = self._drivers.advance(n)
        self._produced += n
        return [self._advance(walk, n, scale, factor) for walk in self._walks]

    def _advance(self, walk: _Walk, n: int, scale: F64 | None, factor: F64 | None) -> Bars:
        steps = mix(walk.returns.standard_normal(n), factor, self.correlation) * self._noise_vol
        if scale is not None:
            steps = steps * scale
        if self.signal:
            steps, walk.momentum = _ewma_step(steps, self.signal, walk.momentum)
        # A running sum continued from the last price adds in the same order as one long sum.
        log_path = np.cumsum(np.concatenate([[walk.log_price], steps]))
        open_, close = np.exp(log_path[:-1]), np.exp(log_path[1:])
        wick_up, wick_down = walk.wicks.standard_exponential((n, 2)).T * (self.vol * WICK_SCALE)
        if scale is not None:
            wick_up, wick_down = wick_up * scale, wick_down * scale
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
    signal: float = 0.0,
    regimes: Regimes | None = None,
    correlation: float = 0.0,
) -> list[Bars]:
    """`n` bars per symbol of a seeded geometric random walk (planted momentum if `signal` > 0)."""
    market = SyntheticMarket(
        symbols,
        timeframe,
        start_ts,
        seed,
        start_price=start_price,
        vol=vol,
        signal=signal,
        regimes=regimes,
        correlation=correlation,
    )
    return market.next_chunk(n)
