import multiprocessing as mp
from collections.abc import Iterable
from itertools import zip_longest
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from numpy.typing import NDArray

from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.ports import BarReader
from tests.support.data import real_path

STEP = 300_000


def make(
    ts: Iterable[int] | NDArray[np.int64],
    mark: float = 1.0,
    symbol: str = "BTCUSDT",
    timeframe: str = "5m",
) -> Bars:
    t = np.asarray(list(ts), dtype=np.int64)
    price = np.full(t.shape, 100.0) + mark
    return Bars(symbol, timeframe, t, price, price + 1, price - 1, price, np.full(t.shape, mark))


def part_files(root: Path, symbol: str = "BTCUSDT", timeframe: str = "5m") -> list[Path]:
    return sorted((root / "bars" / timeframe / symbol).glob("part-*.parquet"))


def test_store_is_a_bar_reader(tmp_path):
    reader: BarReader = BarStore(tmp_path)
    assert len(reader.read("BTCUSDT", "5m")) == 0
    assert reader.series() == []


def test_append_then_read_sorted(tmp_path):
    store = BarStore(tmp_path)
    assert store.append(make([5, 1, 3])) == 3
    got = store.read("BTCUSDT", "5m")
    assert_array_equal(got.ts, [1, 3, 5])
    assert got.symbol == "BTCUSDT"
    assert got.timeframe == "5m"


def test_overlapping_appends_dedupe_and_keep_first(tmp_path):
    store = BarStore(tmp_path)
    assert store.append(make(range(10), mark=1.0)) == 10
    assert store.append(make(range(5, 15), mark=2.0)) == 5
    assert store.append(make(range(15), mark=3.0)) == 0
    got = store.read("BTCUSDT", "5m")
    assert_array_equal(got.ts, np.arange(15))
    assert_array_equal(got.volume, [1.0] * 10 + [2.0] * 5)


def test_duplicates_inside_one_chunk_keep_first(tmp_path):
    store = BarStore(tmp_path)
    chunk = make([3, 1, 3, 2])
    chunk.volume[:] = [10.0, 20.0, 30.0, 40.0]
    assert store.append(chunk) == 3
    got = store.read("BTCUSDT", "5m")
    assert_array_equal(got.ts, [1, 2, 3])
    assert_array_equal(got.volume, [20.0, 40.0, 10.0])


def test_gap_filling_append_between_parts(tmp_path):
    store = BarStore(tmp_path)
    store.append(make([0, 10]))
    assert store.append(make([0, 5, 10], mark=2.0)) == 1
    assert_array_equal(store.read("BTCUSDT", "5m").volume, [1.0, 2.0, 1.0])


def test_range_read_is_half_open(tmp_path):
    store = BarStore(tmp_path)
    store.append(make(np.arange(0, 10) * STEP))
    store.append(make(np.arange(10, 20) * STEP))
    assert_array_equal(store.read("BTCUSDT", "5m", 5 * STEP, 12 * STEP).ts, np.arange(5, 12) * STEP)
    assert_array_equal(store.read("BTCUSDT", "5m", start_ts=18 * STEP).ts, [18 * STEP, 19 * STEP])
    assert_array_equal(store.read("BTCUSDT", "5m", end_ts=2 * STEP).ts, [0, STEP])
    assert len(store.read("BTCUSDT", "5m", 30 * STEP, 40 * STEP)) == 0


def test_series_lists_stored_pairs(tmp_path):
    store = BarStore(tmp_path)
    store.append(make([1], symbol="ETHUSDT"))
    store.append(make([1], symbol="BTC/USDT"))
    store.append(make([1], timeframe="1h"))
    assert store.series() == [("BTC/USDT", "5m"), ("BTCUSDT", "1h"), ("ETHUSDT", "5m")]
    assert store.series("1h") == [("BTCUSDT", "1h")]
    assert_array_equal(store.read("BTC/USDT", "5m").ts, [1])


def test_bad_timeframe_is_refused(tmp_path):
    with pytest.raises(ValueError, match="timeframe"):
        BarStore(tmp_path).append(make([1], timeframe="../x"))


def test_last_ts(tmp_path):
    store = BarStore(tmp_path)
    assert store.last_ts("BTCUSDT", "5m") is None
    store.append(make([7, 3]))
    store.append(make([1]))
    assert store.last_ts("BTCUSDT", "5m") == 7


def test_compact_keeps_everything_in_one_file(tmp_path):
    store = BarStore(tmp_path)
    for i in range(6):
        store.append(make(range(i * 3, i * 3 + 5), mark=float(i)))
    before = store.read("BTCUSDT", "5m")
    assert len(part_files(tmp_path)) == 6
    store.compact("BTCUSDT", "5m")
    assert len(part_files(tmp_path)) == 1
    after = store.read("BTCUSDT", "5m")
    assert_array_equal(after.ts, np.arange(20))
    assert_array_equal(after.volume, before.volume)
    assert store.append(make(range(25), mark=9.0)) == 5


def test_auto_compaction_above_max_parts(tmp_path):
    store = BarStore(tmp_path, max_parts=4)
    for i in range(10):
        store.append(make([i]))
        assert len(part_files(tmp_path)) <= 4
    assert_array_equal(store.read("BTCUSDT", "5m").ts, np.arange(10))


def test_stale_temp_file_is_ignored_and_cleaned(tmp_path):
    store = BarStore(tmp_path)
    store.append(make([1, 2]))
    stale = tmp_path / "bars" / "5m" / "BTCUSDT" / ".tmp-dead.parquet"
    stale.write_bytes(b"half written")
    store.append(make([3]))
    assert_array_equal(store.read("BTCUSDT", "5m").ts, [1, 2, 3])
    store.compact("BTCUSDT", "5m")
    assert not stale.exists()


def test_concurrent_appends_from_two_processes_lose_nothing(tmp_path):
    a = [make(range(lo, min(lo + 7, 600)), mark=1.0) for lo in range(0, 600, 7)]
    b = [make(range(lo, min(lo + 11, 900)), mark=2.0) for lo in range(300, 900, 11)]
    chunks = [c for pair in zip_longest(a, b) for c in pair if c is not None]
    store = BarStore(tmp_path, max_parts=8)
    with mp.get_context("spawn").Pool(2) as pool:
        counts = pool.map(store.append, chunks, chunksize=1)
    got = store.read("BTCUSDT", "5m")
    assert_array_equal(got.ts, np.arange(900))
    assert sum(counts) == 900
    for mark in (1.0, 2.0):
        added = sum(n for n, c in zip(counts, chunks, strict=True) if c.volume[0] == mark)
        assert int((got.volume == mark).sum()) == added


def test_real_data_round_trip(tmp_path):
    (bars,) = read_bar_file(real_path("ETHUSDT"))
    store = BarStore(tmp_path)
    n = len(bars)
    new = store.append(bars.take(slice(n // 2, n)))
    new += store.append(bars.take(slice(0, n // 2 + 1000)))
    new += store.append(bars)
    assert new == len(np.unique(bars.ts))
    got = store.read(bars.symbol, bars.timeframe)
    assert_array_equal(got.ts, bars.ts)
    for col in ("open", "high", "low", "close", "volume"):
        assert_array_equal(getattr(got, col), getattr(bars, col))
