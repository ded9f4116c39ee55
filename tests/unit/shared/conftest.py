"""Bars for the library tests: synthetic (with gaps), and real ones from tests/data."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from candlecast.shared.core.bars import Bars
from tests.support.data import SYMBOLS, real_bars

TF_MS = 300_000
START = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000 + 7 * TF_MS  # mid-hour: partial first HTF bars


def synthetic_bars(
    n: int, seed: int = 0, gaps: bool = True, start: int = START, price: float = 100.0
) -> Bars:
    """Random-walk bars; with `gaps`, small holes (filled) and one long hole (reset)."""
    rng = np.random.default_rng(seed)
    steps = np.ones(n, dtype=np.int64)
    if gaps:
        holes = rng.choice(np.arange(1, n), size=max(1, n // 100), replace=False)
        steps[holes] += rng.integers(1, 13, size=holes.size)
        steps[n // 2] += 200
    ts = start + TF_MS * (np.cumsum(steps) - 1)
    close = price * np.exp(np.cumsum(rng.normal(0.0, 0.003, n)))
    open_ = np.concatenate([[price], close[:-1]]) * np.exp(rng.normal(0.0, 0.0005, n))
    flat = rng.random(n) < 0.02
    close[flat] = open_[flat]
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.002, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.002, n)))
    volume = rng.lognormal(3.0, 1.0, n)
    volume[rng.random(n) < 0.02] = 0.0
    return Bars("SYN", "5m", ts, open_, high, low, close, volume)


@pytest.fixture(scope="session")
def make_bars() -> Callable[..., Bars]:
    return synthetic_bars


@pytest.fixture(params=SYMBOLS)
def real(request: pytest.FixtureRequest) -> Bars:
    return real_bars(request.param)


@pytest.fixture
def btc() -> Bars:
    return real_bars("BTCUSDT")
