"""freqtrade feather files: the date column in whatever unit pandas wrote, the pair from the name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.feather as pf
import pytest
from numpy.testing import assert_array_equal

from candlecast.shared.adapters.barfile import write_bar_file
from candlecast.shared.adapters.freqtrade import name_parts, read_any_bars, read_feather
from candlecast.shared.core.bars import Bars

T0 = 1_735_689_600_000  # 2025-01-01 UTC


def freqtrade_frame(n: int, step_ms: int, unit: str) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, n)))
    date = pd.to_datetime(T0 + step_ms * np.arange(n), unit="ms", utc=True).astype(f"datetime64[{unit}, UTC]")
    return pd.DataFrame(
        {
            "date": date,
            "open": close,
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "volume": 1.0,
        }
    )


@pytest.mark.parametrize("unit", ["us", "ns", "ms", "s"])
def test_the_date_unit_is_read_from_the_arrow_type(tmp_path: Path, unit: str) -> None:
    path = tmp_path / "BTC_USDT-5m.feather"
    frame = freqtrade_frame(50, 300_000, unit)
    frame.to_feather(path)
    assert pf.read_table(path).schema.field("date").type.unit == unit
    (bars,) = read_feather(path)
    assert (bars.symbol, bars.timeframe) == ("BTCUSDT", "5m")
    assert_array_equal(bars.ts, T0 + 300_000 * np.arange(50))
    assert_array_equal(bars.close, frame["close"].to_numpy())


def test_names_give_symbol_and_timeframe_options_win(tmp_path: Path) -> None:
    assert name_parts(Path("BTC_USDT-5m.feather")) == ("BTCUSDT", "5m")
    assert name_parts(Path("ETH_USDT_USDT-1h-futures.feather")) == ("ETHUSDT:USDT", "1h")
    assert name_parts(Path("prices.feather")) == (None, None)
    assert name_parts(Path("BTC_USDT-weird.feather")) == ("BTCUSDT", None)
    path = tmp_path / "ETH_BTC-1m.feather"
    freqtrade_frame(10, 60_000, "us").to_feather(path)
    (bars,) = read_any_bars(path, "5m", symbol="ETHBTC2", timeframe="1m")
    assert (bars.symbol, bars.timeframe) == ("ETHBTC2", "1m")
    unnamed = tmp_path / "data.feather"
    freqtrade_frame(10, 60_000, "us").to_feather(unnamed)
    with pytest.raises(ValueError, match="give the symbol"):
        read_feather(unnamed)
    (bars,) = read_any_bars(unnamed, "1m", symbol="XY")
    assert (bars.symbol, bars.timeframe) == ("XY", "1m")


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "BTC_USDT-5m.feather"
    freqtrade_frame(5, 300_000, "us").drop(columns=["volume"]).to_feather(path)
    with pytest.raises(ValueError, match="volume"):
        read_feather(path)


@pytest.mark.parametrize("name", ["bars.parquet", "bars.csv"])
def test_parquet_and_csv_go_through_the_bar_file_reader(tmp_path: Path, name: str) -> None:
    ts = T0 + 60_000 * np.arange(20, dtype=np.int64)
    x = np.linspace(1, 2, 20)
    write_bar_file(tmp_path / name, [Bars("AB", "1m", ts, x, x + 1, x - 0.5, x, x)])
    (bars,) = read_any_bars(tmp_path / name, "5m")
    assert (bars.symbol, bars.timeframe) == ("AB", "1m")
    assert_array_equal(bars.ts, ts)
    assert_array_equal(bars.high, x + 1)
