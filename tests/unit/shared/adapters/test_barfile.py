import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_array_equal

from candlecast.shared.adapters.barfile import read_bar_file, write_bar_file
from candlecast.shared.core.bars import Bars
from tests.support.data import real_path

CSV = """ts,open,high,low,close,volume,symbol
300000,2,3,1,2.5,10,ETHUSDT
0,1,2,0.5,1.5,5,BTCUSDT
600000,3,4,2,3.5,11,ETHUSDT
300000,1.5,2.5,1,2,6,BTCUSDT
0,1.5,2,1,1.8,9,ETHUSDT
"""


def test_csv_groups_by_symbol_and_sorts(tmp_path):
    path = tmp_path / "bars.csv"
    path.write_text(CSV)
    btc, eth = read_bar_file(path)
    assert (btc.symbol, btc.timeframe) == ("BTCUSDT", "5m")
    assert_array_equal(btc.ts, [0, 300000])
    assert_array_equal(btc.close, [1.5, 2.0])
    assert eth.symbol == "ETHUSDT"
    assert_array_equal(eth.ts, [0, 300000, 600000])
    assert_array_equal(eth.open, [1.5, 2.0, 3.0])
    assert_array_equal(eth.volume, [9.0, 10.0, 11.0])
    assert btc.ts.dtype == np.int64
    assert eth.high.dtype == np.float64


def test_default_timeframe_applies_without_column(tmp_path):
    path = tmp_path / "bars.csv"
    path.write_text(CSV)
    assert {b.timeframe for b in read_bar_file(path, default_timeframe="1h")} == {"1h"}


def test_timeframe_column_splits_series(tmp_path):
    path = tmp_path / "bars.csv"
    path.write_text(
        "ts,open,high,low,close,volume,symbol,timeframe\n"
        "0,1,1,1,1,1,BTCUSDT,5m\n0,1,1,1,1,1,BTCUSDT,1h\n3600000,1,1,1,1,1,BTCUSDT,1h\n"
    )
    series = {(b.symbol, b.timeframe): len(b) for b in read_bar_file(path)}
    assert series == {("BTCUSDT", "1h"): 2, ("BTCUSDT", "5m"): 1}


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "bars.csv"
    path.write_text("ts,open,high,close,symbol\n0,1,1,1,BTCUSDT\n")
    with pytest.raises(ValueError, match=r"\['low', 'volume'\]"):
        read_bar_file(path)


def test_timestamp_ts_becomes_utc_ms(tmp_path):
    path = tmp_path / "bars.parquet"
    ms = np.array([1735603500000, 1735603200000], dtype=np.int64)
    table = pa.table(
        {
            "ts": pa.array(ms * 1_000_000, pa.timestamp("ns", tz="UTC")),
            **{c: [1.0, 2.0] for c in ("open", "high", "low", "close", "volume")},
            "symbol": ["BTCUSDT", "BTCUSDT"],
        }
    )
    pq.write_table(table, path)
    (bars,) = read_bar_file(path)
    assert_array_equal(bars.ts, np.sort(ms))
    assert_array_equal(bars.close, [2.0, 1.0])


def test_iso_timestamps_in_csv(tmp_path):
    path = tmp_path / "bars.csv"
    path.write_text(
        "ts,open,high,low,close,volume,symbol\n"
        "2025-01-01T00:05:00Z,1,1,1,1,1,BTCUSDT\n2025-01-01T00:00:00Z,1,1,1,1,1,BTCUSDT\n"
    )
    (bars,) = read_bar_file(path)
    assert_array_equal(bars.ts, [1735689600000, 1735689900000])


@pytest.mark.parametrize("name", ["out.parquet", "out.csv"])
def test_write_then_read_round_trip(tmp_path, name):
    ts = np.array([0, 300000, 600000], dtype=np.int64)
    col = np.array([1.0, 2.25, 3.5])
    series = [
        Bars("BTCUSDT", "5m", ts, col, col + 1, col - 0.5, col, col * 10),
        Bars("ETHUSDT", "1h", ts[:2], col[:2], col[:2], col[:2], col[:2], col[:2]),
    ]
    write_bar_file(tmp_path / name, series)
    back = read_bar_file(tmp_path / name)
    assert [(b.symbol, b.timeframe) for b in back] == [("BTCUSDT", "5m"), ("ETHUSDT", "1h")]
    for a, b in zip(series, back, strict=True):
        for c in ("ts", "open", "high", "low", "close", "volume"):
            assert_array_equal(getattr(a, c), getattr(b, c))


def test_write_nothing_gives_empty_file(tmp_path):
    write_bar_file(tmp_path / "empty.parquet", [])
    assert read_bar_file(tmp_path / "empty.parquet") == []


def test_real_data(tmp_path):
    path = real_path("BTCUSDT")
    (bars,) = read_bar_file(path)
    assert bars.symbol == "BTCUSDT"
    assert len(bars) > 1000
    assert (np.diff(bars.ts) > 0).all()
    raw = pq.read_table(path)
    assert len(bars) == raw.num_rows
    write_bar_file(tmp_path / "copy.parquet", [bars])
    (again,) = read_bar_file(tmp_path / "copy.parquet")
    assert_array_equal(again.close, bars.close)
