import numpy as np
import pytest
from numpy.testing import assert_array_equal

from candlecast.ingest.synthetic import SyntheticMarket, synthetic_bars
from candlecast.shared.core.bars import Bars, concat
from candlecast.shared.core.messages import bar_problem

START = 1_735_603_200_000
COLUMNS = ("ts", "open", "high", "low", "close", "volume")


def assert_same(a: Bars, b: Bars) -> None:
    assert (a.symbol, a.timeframe) == (b.symbol, b.timeframe)
    for c in COLUMNS:
        assert_array_equal(getattr(a, c), getattr(b, c))


def test_same_seed_same_bars_other_seed_other_bars():
    a = synthetic_bars(["BTCUSDT", "ETHUSDT"], "5m", START, 200, seed=7)
    b = synthetic_bars(["BTCUSDT", "ETHUSDT"], "5m", START, 200, seed=7)
    c = synthetic_bars(["BTCUSDT", "ETHUSDT"], "5m", START, 200, seed=8)
    for x, y in zip(a, b, strict=True):
        assert_same(x, y)
    assert not np.array_equal(a[0].close, c[0].close)
    assert not np.array_equal(a[0].close, a[1].close)


def test_shape_timestamps_and_start_price():
    (bars,) = synthetic_bars(["BTCUSDT"], "1h", START, 50, seed=1, start_price=250.0)
    assert len(bars) == 50
    assert (bars.symbol, bars.timeframe) == ("BTCUSDT", "1h")
    assert_array_equal(bars.ts, START + np.arange(50) * 3_600_000)
    assert bars.open[0] == pytest.approx(250.0)
    assert_array_equal(bars.open[1:], bars.close[:-1])


@pytest.mark.parametrize("sizes", [[1000], [1, 7, 100, 892], [500, 0, 500], [3] * 333 + [1]])
def test_chunking_does_not_change_the_path(sizes):
    whole = synthetic_bars(["BTCUSDT", "ETHUSDT"], "5m", START, 1000, seed=3)
    market = SyntheticMarket(["BTCUSDT", "ETHUSDT"], "5m", START, seed=3)
    chunks = [market.next_chunk(n) for n in sizes]
    for i, expected in enumerate(whole):
        assert_same(concat([c[i] for c in chunks]), expected)


def test_a_symbol_path_does_not_depend_on_the_others():
    alone = synthetic_bars(["ETHUSDT"], "5m", START, 300, seed=5)[0]
    with_others = synthetic_bars(["BTCUSDT", "ETHUSDT"], "5m", START, 300, seed=5)[1]
    assert_same(alone, with_others)


def test_every_bar_is_valid():
    for bars in synthetic_bars(["A", "B"], "5m", START, 5000, seed=11, vol=0.01):
        problems = [
            bar_problem(o, h, lo, c, v)
            for o, h, lo, c, v in zip(bars.open, bars.high, bars.low, bars.close, bars.volume, strict=True)
        ]
        assert problems == [None] * len(bars)
        assert (bars.volume > 0).all()
        assert (bars.high > np.maximum(bars.open, bars.close)).mean() > 0.9
        assert (bars.low < np.minimum(bars.open, bars.close)).mean() > 0.9


def test_returns_have_the_given_vol_and_no_edge():
    (bars,) = synthetic_bars(["BTCUSDT"], "5m", START, 50_000, seed=2024, vol=0.002)
    r = np.diff(np.log(bars.close))
    assert r.std() == pytest.approx(0.002, rel=0.02)
    assert abs(r.mean()) < 4 * 0.002 / np.sqrt(r.size)
    lag1 = np.corrcoef(r[:-1], r[1:])[0, 1]
    assert abs(lag1) < 0.02


def test_bad_arguments():
    with pytest.raises(ValueError, match="timeframe"):
        synthetic_bars(["A"], "5x", START, 10, seed=1)
    with pytest.raises(ValueError, match="start_price"):
        synthetic_bars(["A"], "5m", START, 10, seed=1, start_price=0.0)
