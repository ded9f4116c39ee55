"""Online (any chunking, even one bar at a time) == batch, bit for bit; restarts continue exactly."""

from __future__ import annotations

import numpy as np
import pytest

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import (
    CORE,
    SEED,
    FeatureRows,
    FeatureSet,
    FeatureState,
    OutOfOrderError,
    advance,
    compute,
    new_state,
)


def chunks(n: int, seed: int, max_size: int = 40) -> list[slice]:
    """Random chunk boundaries, with plenty of single bars."""
    rng = np.random.default_rng(seed)
    cuts, at = [], 0
    while at < n:
        size = 1 if rng.random() < 0.4 else int(rng.integers(0, max_size))
        cuts.append(slice(at, min(n, at + size)))
        at += size
    return cuts


def online(bars: Bars, feature_set: FeatureSet, parts: list[slice]) -> FeatureRows:
    state = new_state(feature_set, bars.timeframe)
    rows = [advance(state, bars.take(p)) for p in parts]
    return FeatureRows(
        np.concatenate([r.ts for r in rows]), np.concatenate([r.values for r in rows]), feature_set.names
    )


def assert_same(a: FeatureRows, b: FeatureRows) -> None:
    assert a.names == b.names
    assert np.array_equal(a.ts, b.ts)
    assert np.array_equal(a.values, b.values)


@pytest.mark.parametrize("feature_set", [CORE, SEED], ids=lambda s: s.name)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_online_equals_batch_on_synthetic_bars_with_gaps(make_bars, feature_set, seed):
    bars = make_bars(3000, seed=seed)
    batch = compute(bars, feature_set)
    assert len(batch) > 1000  # rows on both sides of the long gap
    assert_same(online(bars, feature_set, chunks(len(bars), seed)), batch)


def test_online_one_bar_at_a_time_equals_batch_on_real_data(btc):
    batch = compute(btc, CORE)
    parts = [slice(i, i + 1) for i in range(len(btc))]
    assert_same(online(btc, CORE, parts), batch)


def test_restart_from_checkpoint_continues_exactly(make_bars):
    bars = make_bars(2000, seed=7)
    whole = compute(bars, CORE)
    for cut in (150, 700, 1000, 1333):
        state = new_state(CORE, "5m")
        first = advance(state, bars.take(slice(0, cut)))
        restored = FeatureState.from_bytes(state.to_bytes())
        assert restored.last_ts == state.last_ts
        second = advance(restored, bars.take(slice(cut, None)))
        assert np.array_equal(np.concatenate([first.ts, second.ts]), whole.ts)
        assert np.array_equal(np.concatenate([first.values, second.values]), whole.values)


def test_checkpoint_refuses_other_definitions(make_bars):
    state = new_state(CORE, "5m")
    advance(state, make_bars(300, gaps=False))
    data = state.to_bytes()
    with pytest.raises(ValueError, match="hash"):
        FeatureState.from_bytes(data, feature_set=SEED)
    with pytest.raises(ValueError, match="timeframe"):
        FeatureState.from_bytes(data, timeframe="1h")
    with pytest.raises(ValueError, match="checkpoint"):
        FeatureState.from_bytes(b"junk" + data)
    assert len(data) < 64_000


def test_out_of_order_bars_raise_and_leave_the_state_alone(make_bars):
    bars = make_bars(400, gaps=False)
    state = new_state(CORE, "5m")
    advance(state, bars.take(slice(0, 300)))
    before = state.to_bytes()
    for bad in (bars.take(slice(299, 310)), bars.take(np.array([300, 302, 301])), bars.take(slice(100, 101))):
        with pytest.raises(OutOfOrderError):
            advance(state, bad)
        assert state.to_bytes() == before
    rows = advance(state, bars.take(slice(300, None)))
    assert np.array_equal(rows.values, compute(bars, CORE).values[-100:])


def test_invalid_bar_raises_value_error(make_bars):
    bars = make_bars(10, gaps=False)
    high = bars.high.copy()
    high[5] = np.nan
    broken = Bars(bars.symbol, bars.timeframe, bars.ts, bars.open, high, bars.low, bars.close, bars.volume)
    with pytest.raises(ValueError, match="finite"):
        compute(broken)
