"""`candlecast replay` against a real Redis: Parquet, CSV and freqtrade feather files, max speed
or N bars per second; no progress bar when the output is not a terminal, skipped rows counted by kind."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import redis

from candlecast.ingest.cli import replay
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barfile import write_bar_file
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.settings import Settings

pytestmark = pytest.mark.redis

T0 = 1_735_689_600_000


def published(url: str, settings: Settings) -> list[dict[str, object]]:
    client = redis.Redis.from_url(url)
    return [json.loads(f[DATA_FIELD.encode()]) for _, f in client.xrange(settings.keys.bars)]


def feather_file(path: Path, n: int) -> np.ndarray:
    (bars,) = synthetic_bars(["X"], "5m", T0, n, seed=4)
    date = pd.to_datetime(bars.ts, unit="ms", utc=True).astype("datetime64[us, UTC]")
    frame = pd.DataFrame(
        {"date": date, **{c: getattr(bars, c) for c in ("open", "high", "low", "close", "volume")}}
    )
    frame.to_feather(path)
    return bars.close


@pytest.mark.parametrize("name", ["bars.parquet", "bars.csv"])
def test_parquet_and_csv_are_published_in_time_order_and_recorded(
    redis_url: str, tmp_path: Path, name: str, capsys
) -> None:
    settings = Settings(redis_url=redis_url, home=tmp_path / "home")
    series = synthetic_bars(["AAA", "BBB"], "5m", T0, 6_000, seed=2)
    write_bar_file(tmp_path / name, series)
    assert asyncio.run(replay(settings, tmp_path / name, None, None)) == 0
    bars = published(redis_url, settings)
    assert len(bars) == 12_000
    ts = [int(str(b["ts"])) for b in bars]
    assert ts == sorted(ts)
    assert len(BarStore(settings.home).read("BBB", "5m")) == 6_000
    out, err = capsys.readouterr()
    assert out.startswith("replayed 12000 bars of 2 series"), "the summary only"
    assert err == "", "no progress bar when stderr is not a terminal"


def test_skipped_rows_are_counted_by_kind(redis_url: str, tmp_path: Path, capsys) -> None:
    settings = Settings(redis_url=redis_url, home=tmp_path / "home")
    (bars,) = synthetic_bars(["AAA"], "5m", T0, 20, seed=3)
    high = bars.high.copy()
    high[[4, 9]] = bars.low[[4, 9]] / 2  # high < low
    order = np.r_[np.arange(20), 0, 1, 2]  # three repeated ts
    broken = type(bars)("AAA", "5m", bars.ts, bars.open, high, bars.low, bars.close, bars.volume)
    write_bar_file(tmp_path / "bars.csv", [broken.take(order)])
    assert asyncio.run(replay(settings, tmp_path / "bars.csv", None, None)) == 0
    out = capsys.readouterr().out
    assert f"skipped 5 rows: 3 repeated ts, 2 high < low (of {tmp_path / 'bars.csv'})" in out
    assert len(published(redis_url, settings)) == 18


def test_a_freqtrade_feather_file_with_microsecond_dates(redis_url: str, tmp_path: Path) -> None:
    settings = Settings(redis_url=redis_url, home=tmp_path / "home")
    close = feather_file(tmp_path / "BTC_USDT-5m.feather", 300)
    assert asyncio.run(replay(settings, tmp_path / "BTC_USDT-5m.feather", None, None)) == 0
    bars = published(redis_url, settings)
    assert {(b["symbol"], b["timeframe"]) for b in bars} == {("BTCUSDT", "5m")}
    assert [b["ts"] for b in bars] == (T0 + 300_000 * np.arange(300)).tolist()
    assert [b["close"] for b in bars] == close.tolist()


def test_a_rate_paces_the_replay(redis_url: str, tmp_path: Path) -> None:
    settings = Settings(redis_url=redis_url, home=tmp_path / "home")
    feather_file(tmp_path / "ETH_USDT-5m.feather", 60)
    started = time.monotonic()
    asyncio.run(replay(settings, tmp_path / "ETH_USDT-5m.feather", 40.0, None))
    elapsed = time.monotonic() - started
    assert len(published(redis_url, settings)) == 60
    assert 1.4 <= elapsed < 4.0, f"60 bars at 40/s take ~1.5 s, took {elapsed:.2f}"
