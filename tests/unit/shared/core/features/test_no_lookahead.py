"""Changing bars at or after index k never changes a row of a bar before k."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import CORE, compute


def perturb(bars: Bars, k: int, seed: int, mode: str) -> Bars:
    """Valid bars equal to `bars` before k and different from k on."""
    rng = np.random.default_rng(seed)
    if mode == "drop":
        keep = np.ones(len(bars), dtype=bool)
        keep[k:] = rng.random(len(bars) - k) < 0.5
        return bars.take(keep)
    scale = 0.5 if mode == "wild" else 0.01
    tail = len(bars) - k
    close, open_ = bars.close.copy(), bars.open.copy()
    close[k:] *= np.exp(rng.normal(0.0, scale, tail))
    open_[k:] *= np.exp(rng.normal(0.0, scale, tail))
    high, low = bars.high.copy(), bars.low.copy()
    high[k:] = np.maximum(open_[k:], close[k:]) * (1.0 + rng.random(tail) * scale)
    low[k:] = np.minimum(open_[k:], close[k:]) / (1.0 + rng.random(tail) * scale)
    volume = bars.volume.copy()
    volume[k:] = rng.lognormal(3.0, 3.0, tail) * (rng.random(tail) < 0.9)
    return Bars(bars.symbol, bars.timeframe, bars.ts, open_, high, low, close, volume)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    where=st.floats(0.0, 1.0),
    mode=st.sampled_from(["small", "wild", "drop"]),
)
def test_rows_before_k_ignore_bars_from_k_on(make_bars, seed, where, mode):
    bars = make_bars(700, seed=seed, gaps=seed % 2 == 0)
    k = int(where * (len(bars) - 1))
    before = bars.ts[k]
    original = compute(bars, CORE)
    changed = compute(perturb(bars, k, seed, mode), CORE)
    a = original.ts < before
    b = changed.ts < before
    assert np.array_equal(original.ts[a], changed.ts[b])
    assert np.array_equal(original.values[a], changed.values[b])


def test_the_perturbation_does_change_later_rows(make_bars):
    """Guards the property above against a vacuous pass."""
    bars = make_bars(700, seed=3, gaps=False)
    original = compute(bars, CORE)
    changed = compute(perturb(bars, 400, 3, "small"), CORE)
    at_k = original.ts >= bars.ts[400]
    assert at_k.sum() > 100
    assert not np.array_equal(original.values[at_k], changed.values[changed.ts >= bars.ts[400]])
