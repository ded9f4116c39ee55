"""The synthetic market's volatility regimes, correlated symbols and its clock rule."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from candlecast.ingest.drivers import Regimes
from candlecast.ingest.synthetic import SyntheticMarket, synthetic_bars
from candlecast.shared.core.bars import concat

START = 1_735_603_200_000
SYMBOLS = ["AAA", "BBB", "CCC"]


def test_regimes_change_the_volatility_measurably() -> None:
    regimes = Regimes(calm=0.5, volatile=2.0, switch=0.002)
    (bars,) = synthetic_bars(["AAA"], "1m", START, 40_000, seed=4, regimes=regimes)
    r = np.abs(np.diff(np.log(bars.close)))
    window = 200
    local = np.convolve(r, np.ones(window) / window, mode="valid")
    # calm stretches run at ~0.5 x vol, volatile ones at ~2 x: a 4:1 spread of local |r|
    assert np.quantile(local, 0.9) / np.quantile(local, 0.1) > 2.5
    (plain,) = synthetic_bars(["AAA"], "1m", START, 40_000, seed=4)
    flat = np.convolve(np.abs(np.diff(np.log(plain.close))), np.ones(window) / window, mode="valid")
    assert np.quantile(flat, 0.9) / np.quantile(flat, 0.1) < 1.6


def test_regimes_are_shared_by_all_symbols() -> None:
    regimes = Regimes(calm=0.5, volatile=2.0, switch=0.002)
    a, b = synthetic_bars(["AAA", "BBB"], "1m", START, 20_000, seed=9, regimes=regimes)
    ra, rb = (np.abs(np.diff(np.log(x.close))) for x in (a, b))
    smooth = np.ones(300) / 300
    assert np.corrcoef(np.convolve(ra, smooth), np.convolve(rb, smooth))[0, 1] > 0.7


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.7])
def test_returns_correlate_as_configured(rho: float) -> None:
    series = synthetic_bars(SYMBOLS, "5m", START, 20_000, seed=5, correlation=rho)
    r = np.array([np.diff(np.log(s.close)) for s in series])
    c = np.corrcoef(r)
    off = c[~np.eye(len(SYMBOLS), dtype=bool)]
    assert np.abs(off - rho).max() < 0.03
    assert r.std(axis=1) == pytest.approx([0.002] * 3, rel=0.03), "the factor keeps each symbol's vol"


def test_zero_correlation_and_no_regimes_is_the_plain_walk_draw_for_draw() -> None:
    plain = synthetic_bars(SYMBOLS, "5m", START, 500, seed=5, signal=0.2)
    same = synthetic_bars(SYMBOLS, "5m", START, 500, seed=5, signal=0.2, correlation=0.0, regimes=None)
    for x, y in zip(plain, same, strict=True):
        assert_array_equal(x.close, y.close)
        assert_array_equal(x.high, y.high)


def test_seed_decides_and_chunks_do_not() -> None:
    kw = {"regimes": Regimes(switch=0.05), "correlation": 0.5, "signal": 0.3}
    whole = synthetic_bars(SYMBOLS, "5s", START, 900, seed=2, **kw)
    again = synthetic_bars(SYMBOLS, "5s", START, 900, seed=2, **kw)
    other = synthetic_bars(SYMBOLS, "5s", START, 900, seed=3, **kw)
    market = SyntheticMarket(SYMBOLS, "5s", START, 2, **kw)
    chunks = [market.next_chunk(n) for n in (1, 0, 299, 7, 593)]
    for i, expected in enumerate(whole):
        assert_array_equal(again[i].close, expected.close)
        assert not np.array_equal(other[i].close, expected.close)
        joined = concat([c[i] for c in chunks])
        for col in ("ts", "open", "high", "low", "close", "volume"):
            assert_array_equal(getattr(joined, col), getattr(expected, col))


def test_due_counts_only_bars_whose_close_has_passed() -> None:
    market = SyntheticMarket(["AAA"], "5s", START, seed=1)
    assert market.due(START) == 0
    assert market.due(START + 4_999) == 0
    assert market.due(START + 5_000) == 1
    assert market.due(START - 60_000) == 0
    (bars,) = market.next_chunk(market.due(START + 12_345))
    assert bars.ts.tolist() == [START, START + 5_000]
    assert market.next_ts == START + 10_000
    assert market.due(START + 14_999) == 0


def test_bad_driver_settings() -> None:
    with pytest.raises(ValueError, match="correlation"):
        SyntheticMarket(["A"], "5m", START, 1, correlation=1.0)
    with pytest.raises(ValueError, match="switch"):
        Regimes(switch=0.0)
