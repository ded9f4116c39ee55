"""Feature sets: names, hashes, warm-up, finiteness and long-run numerical stability."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import (
    CORE,
    DEFAULT,
    SEED,
    FeatureSet,
    advance,
    compute,
    get_feature_set,
    new_state,
    warmup_bars,
)


def test_sets_have_the_promised_features():
    assert DEFAULT is CORE
    assert SEED.names == ("close", "ret1", "sma20_gap", "sma50_gap", "vol_z")
    assert len(set(CORE.names)) == len(CORE.names) >= 100
    assert {
        "ret_1",
        "sma_gap_20",
        "ema_gap_200",
        "macd_hist",
        "rsi_14",
        "x12_rsi_14",
        "x3_dist_close",
    } <= set(CORE.names)
    assert get_feature_set("core") is CORE
    assert get_feature_set("seed") is SEED
    with pytest.raises(ValueError, match="unknown feature set"):
        get_feature_set("nope")


def test_hashes_are_the_published_ones():
    """Rows and model cards in the wild carry these: a change here must be a new version."""
    assert CORE.hash == "9f38425398293ac2"
    assert SEED.hash == "90d7dde91e221760"


def test_hash_is_deterministic_and_tracks_every_spec():
    copy = FeatureSet(CORE.name, CORE.version, tuple(dataclasses.replace(s) for s in CORE.specs))
    assert copy.hash == CORE.hash
    assert CORE.id.hash == CORE.hash
    assert CORE.id.name == "core"
    changed = [
        dataclasses.replace(CORE.specs[0], windows=(99,)),
        dataclasses.replace(CORE.specs[0], description="other"),
        dataclasses.replace(CORE.specs[0], inputs=("open",)),
    ]
    hashes = {FeatureSet(CORE.name, CORE.version, (c, *CORE.specs[1:])).hash for c in changed}
    hashes |= {FeatureSet(CORE.name, 2, CORE.specs).hash, FeatureSet("core2", 1, CORE.specs).hash}
    assert CORE.hash not in hashes
    assert len(hashes) == 5
    assert SEED.hash != CORE.hash


def test_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        FeatureSet("x", 1, (CORE.specs[0], CORE.specs[0]))


def test_unknown_feature_name_is_refused():
    spec = dataclasses.replace(CORE.specs[0], name="no_such_feature")
    with pytest.raises(ValueError, match="no kernel column"):
        new_state(FeatureSet("x", 1, (spec,)), "5m")


@pytest.mark.parametrize("feature_set", [CORE, SEED], ids=lambda s: s.name)
def test_first_row_comes_exactly_after_warm_up(make_bars, feature_set):
    start = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000  # on an hour boundary
    bars = make_bars(1000, seed=4, gaps=False, start=start)
    warm = warmup_bars(feature_set)
    rows = compute(bars, feature_set)
    assert rows.ts[0] == bars.ts[warm - 1]
    assert len(rows) == len(bars) - warm + 1
    assert len(compute(bars.take(slice(0, warm - 1)), feature_set)) == 0
    assert warmup_bars(CORE) >= 12 * 20
    assert warmup_bars(SEED) == 50


def test_long_gap_restarts_warm_up_and_short_gaps_are_filled(make_bars):
    bars = make_bars(1200, seed=6, gaps=False)
    warm = warmup_bars(SEED)
    ts = bars.ts.copy()
    ts[600:] += 300_000 * 13  # 13 missing bars: reset
    ts[300:] += 300_000 * 12  # 12 missing bars: filled
    moved = Bars(bars.symbol, "5m", ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
    rows = compute(moved, SEED)
    emitted = np.isin(ts, rows.ts)
    assert emitted[warm - 1 : 600].all()
    assert not emitted[600 : 600 + warm - 1].any()
    assert emitted[600 + warm - 1 :].all()


def test_every_value_is_finite_on_synthetic_bars(make_bars):
    for seed in range(3):
        rows = compute(make_bars(5000, seed=seed), CORE)
        assert len(rows) > 3000
        assert np.isfinite(rows.values).all()


def test_flat_and_zero_volume_bars_give_fallbacks_not_nan(make_bars):
    bars = make_bars(400, gaps=False)
    flat = np.full(len(bars), 100.0)
    constant = Bars("FLAT", "5m", bars.ts, flat, flat, flat, flat, np.zeros(len(bars)))
    rows = compute(constant, CORE)
    assert len(rows) > 0
    assert np.isfinite(rows.values).all()
    by_name = dict(zip(CORE.names, rows.values[-1], strict=True))
    assert by_name["rsi_14"] == 50.0
    assert by_name["stoch_k_14"] == 50.0
    assert by_name["zscore_20"] == 0.0
    assert by_name["bb_pctb_20"] == 0.5
    assert by_name["volume_ratio_20"] == 1.0


def test_every_value_is_finite_on_real_data(real):
    rows = compute(real, CORE)
    assert len(rows) == len(real) - warmup_bars(CORE) + 1
    assert np.isfinite(rows.values).all()


def test_no_drift_after_a_million_bars():
    """Rolling stats after 1M bars (trending from 100 to ~1e5) equal a fresh exact recomputation."""
    n = 1_000_000
    rng = np.random.default_rng(0)
    close = 100.0 * np.exp(np.cumsum(rng.normal(7e-6, 0.002, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * 1.001
    low = np.minimum(open_, close) * 0.999
    volume = rng.lognormal(3.0, 1.0, n)
    bars = Bars("SYN", "5m", 300_000 * np.arange(n, dtype=np.int64), open_, high, low, close, volume)
    state = new_state(CORE, "5m")
    for at in range(0, n, 200_000):
        rows = advance(state, bars.take(slice(at, at + 200_000)))
    last = dict(zip(CORE.names, rows.values[-1], strict=True))
    window = close[-200:]
    logret = np.log(close[-200:] / close[-201:-1])
    vol = volume[-50:]
    np.testing.assert_allclose(last["sma_gap_200"], close[-1] / window.mean() - 1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(last["zscore_200"], (close[-1] - window.mean()) / window.std(), rtol=1e-9)
    np.testing.assert_allclose(last["rvol_200"], logret.std(), rtol=1e-9)
    np.testing.assert_allclose(last["volume_z_50"], (vol[-1] - vol.mean()) / vol.std(), rtol=1e-9)
    np.testing.assert_allclose(last["up_frac_20"], np.mean(np.diff(close[-21:]) > 0), rtol=1e-12)
