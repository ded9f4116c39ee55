"""The planted signal: off by default (a plain random walk, draw for draw), learnable when on."""

import zlib

import numpy as np
import numpy.typing as npt
import pytest
from numpy.testing import assert_array_equal

from candlecast.ingest.synthetic import SyntheticMarket, noise_scale, planted_predictor, synthetic_bars
from candlecast.shared.core.bars import concat

START = 1_735_603_200_000
F64 = npt.NDArray[np.float64]


def plain_walk_close(symbol: str, n: int, seed: int, vol: float, start_price: float = 100.0) -> F64:
    """The random walk as first written: i.i.d. normal log returns from the symbol's first stream."""
    stream = np.random.SeedSequence([seed, zlib.crc32(symbol.encode())]).spawn(3)[0]
    steps = np.random.default_rng(stream).standard_normal(n) * vol
    log_path = np.cumsum(np.concatenate([[np.log(start_price)], steps]))
    return np.asarray(np.exp(log_path[1:]), dtype=np.float64)


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney AUC (scores are continuous: no ties)."""
    ranks = np.empty(score.size)
    ranks[np.argsort(score)] = np.arange(1, score.size + 1)
    pos = int(y.sum())
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * (y.size - pos)))


@pytest.mark.parametrize("seed", [1, 7, 2024])
def test_no_signal_is_the_plain_random_walk_draw_for_draw(seed):
    a, b = synthetic_bars(["BTCUSDT", "ETHUSDT"], "5m", START, 2_000, seed=seed, vol=0.003)
    assert_array_equal(a.close, plain_walk_close("BTCUSDT", 2_000, seed, 0.003))
    assert_array_equal(b.close, plain_walk_close("ETHUSDT", 2_000, seed, 0.003))
    assert noise_scale(0.0) == 1.0


def test_signal_changes_returns_only_not_timestamps_wicks_or_volume():
    (plain,) = synthetic_bars(["A"], "5m", START, 500, seed=4)
    (planted,) = synthetic_bars(["A"], "5m", START, 500, seed=4, signal=0.3)
    assert_array_equal(plain.ts, planted.ts)
    assert_array_equal(plain.volume, planted.volume)
    assert not np.array_equal(plain.close, planted.close)
    assert_array_equal(planted.open[1:], planted.close[:-1])


def test_the_sign_of_the_next_return_follows_the_planted_predictor():
    (bars,) = synthetic_bars(["A"], "1m", START, 60_000, seed=9, signal=0.3)
    m = planted_predictor(bars.close)
    r = np.diff(np.log(bars.close))  # r[t] is the return into bar t + 1
    corr = np.corrcoef(np.sign(r[1:]), m[1:-1])[0, 1]
    assert corr > 0.06, corr  # measured ~0.09; a random walk gives |corr| < 0.01
    assert auc((r[1:] > 0).astype(int), m[1:-1]) > 0.53  # measured ~0.55


def test_a_random_walk_gives_the_predictor_no_edge():
    (bars,) = synthetic_bars(["A"], "1m", START, 60_000, seed=9)
    m = planted_predictor(bars.close)
    r = np.diff(np.log(bars.close))
    assert abs(auc((r[1:] > 0).astype(int), m[1:-1]) - 0.5) < 0.01


def test_signal_keeps_the_return_vol():
    (bars,) = synthetic_bars(["A"], "5m", START, 50_000, seed=2, vol=0.002, signal=0.5)
    assert np.diff(np.log(bars.close)).std() == pytest.approx(0.002, rel=0.02)


def test_signal_is_deterministic_by_seed():
    a = synthetic_bars(["A", "B"], "5m", START, 1_000, seed=5, signal=0.2)
    b = synthetic_bars(["A", "B"], "5m", START, 1_000, seed=5, signal=0.2)
    c = synthetic_bars(["A", "B"], "5m", START, 1_000, seed=6, signal=0.2)
    for x, y in zip(a, b, strict=True):
        assert_array_equal(x.close, y.close)
    assert not np.array_equal(a[0].close, c[0].close)


@pytest.mark.parametrize("sizes", [[1000], [1, 7, 100, 892], [500, 0, 500], [3] * 333 + [1]])
def test_chunking_does_not_change_a_planted_path(sizes):
    (whole,) = synthetic_bars(["A"], "5m", START, 1_000, seed=3, signal=0.4)
    market = SyntheticMarket(["A"], "5m", START, seed=3, signal=0.4)
    joined = concat([market.next_chunk(n)[0] for n in sizes])
    for column in ("ts", "open", "high", "low", "close", "volume"):
        assert_array_equal(getattr(joined, column), getattr(whole, column))


@pytest.mark.parametrize("signal", [-0.1, 1.0, 2.0])
def test_signal_out_of_range_is_refused(signal):
    with pytest.raises(ValueError, match="signal"):
        synthetic_bars(["A"], "5m", START, 10, seed=1, signal=signal)
