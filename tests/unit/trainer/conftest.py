"""Seeded synthetic series for trainer tests: a pure random walk, or one with planted momentum."""

from collections.abc import Callable

import numpy as np
import pytest

from candlecast.shared.core.bars import Bars

STEP_MS = 300_000  # 5m
T0 = 1_767_225_600_000  # 2026-01-01


def walk(symbol: str, n: int, seed: int, momentum: float = 0.0) -> Bars:
    """Log returns r[t] = momentum * r[t-1] + noise; momentum 0 is a random walk."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 0.002, n)
    r = noise.copy()
    for t in range(1, n):  # AR(1); a loop keeps it obvious
        r[t] = momentum * r[t - 1] + noise[t]
    close = 100.0 * np.exp(np.cumsum(r))
    open_ = np.r_[100.0, close[:-1]]
    wick = np.exp(np.abs(rng.normal(0.0, 0.001, (2, n))))
    return Bars(
        symbol=symbol,
        timeframe="5m",
        ts=T0 + np.arange(n, dtype=np.int64) * STEP_MS,
        open=open_,
        high=np.maximum(open_, close) * wick[0],
        low=np.minimum(open_, close) / wick[1],
        close=close,
        volume=rng.lognormal(3.0, 0.5, n),
    )


Walk = Callable[..., Bars]


@pytest.fixture(scope="session")
def make_walk() -> Walk:
    return walk
