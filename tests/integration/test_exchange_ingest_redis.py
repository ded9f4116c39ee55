"""`candlecast backfill` and `candlecast run ingest` (source ccxt) as processes, against a local
Binance stand-in through the real ccxt.binance class, publishing to a real Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import redis as sync_redis

from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.settings import Settings
from tests.support.binance_standin import Market, ServerClock, exchange_config, serve
from tests.support.data import real_bars

pytestmark = [pytest.mark.redis, pytest.mark.slow]  # processes: ~10 s of start-up each on a busy box
CANDLECAST = str(Path(sys.executable).with_name("candlecast"))


def as_timeframe(bars: Bars, timeframe: str, step: int, first: int) -> Bars:
    """Real OHLCV values re-dated onto another grid."""
    ts = first + np.arange(len(bars), dtype=np.int64) * step
    return Bars(bars.symbol, timeframe, ts, bars.open, bars.high, bars.low, bars.close, bars.volume)


def published(url: str, stream: str) -> dict[str, list[dict[str, float]]]:
    client = sync_redis.Redis.from_url(url)
    out: dict[str, list[dict[str, float]]] = {}
    for _, fields in client.xrange(stream):
        bar = json.loads(fields[DATA_FIELD.encode()])
        out.setdefault(bar["symbol"], []).append(bar)
    client.close()
    return out


def env(redis_url: str, home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CANDLECAST_REDIS_URL": redis_url, "CANDLECAST_HOME": str(home), **extra}


def assert_final(got: list[dict[str, float]], want: Bars) -> None:
    assert [int(b["ts"]) for b in got] == want.ts.tolist()  # each once, in order
    np.testing.assert_allclose([b["close"] for b in got], want.close, rtol=1e-12)
    np.testing.assert_allclose([b["high"] for b in got], want.high, rtol=1e-12)


def test_backfill_publishes_every_closed_bar_once_and_a_rerun_adds_nothing(redis_url, tmp_path) -> None:
    first = 1_767_225_600_000  # 2026-01-01
    bars = {
        s: as_timeframe(real_bars(s).take(slice(0, 2_300)), "1m", 60_000, first)
        for s in ("BTCUSDT", "ETHUSDT")
    }
    market = Market(bars, clock=ServerClock(first + 2_200 * 60_000 + 30_000), every_429=4)
    with serve(market) as port:
        cmd = [CANDLECAST, "backfill", "--exchange", "binance", "--symbols", "BTC/USDT,ETH/USDT"]
        cmd += [
            "--timeframe",
            "1m",
            "--since",
            "2026-01-01",
            "--exchange-config",
            json.dumps(exchange_config(port)),
        ]
        one = subprocess.run(
            cmd, check=False, env=env(redis_url, tmp_path), capture_output=True, text=True, timeout=120
        )
        assert one.returncode == 0, one.stderr
        two = subprocess.run(
            cmd, check=True, env=env(redis_url, tmp_path), capture_output=True, text=True, timeout=120
        )
    stream = published(redis_url, Settings().keys.bars)
    for s in ("BTCUSDT", "ETHUSDT"):
        assert_final(stream[s], bars[s].take(slice(0, 2_200)))  # the forming bar 2200 is not there
        assert len(BarStore(tmp_path).read(s, "1m")) == 2_200
    assert "backfilled 4400 new bars" in one.stdout
    assert "0 retries" not in one.stdout  # the 429s were retried
    assert "backfilled 0 new bars" in two.stdout, two.stdout


def test_run_ingest_publishes_only_closed_candles_with_final_values(redis_url, tmp_path) -> None:
    step, now = 1_000, now_ms()
    first = now // step * step - 40 * step
    bars = {"BTCUSDT": as_timeframe(real_bars("BTCUSDT").take(slice(0, 200)), "1s", step, first)}
    market = Market(bars)  # the real clock: the current candle is forming and changing
    with serve(market) as port:
        extra = {
            "CANDLECAST_SOURCE": "ccxt",
            "CANDLECAST_EXCHANGE": "binance",
            "CANDLECAST_SYMBOLS": '["BTC/USDT"]',
            "CANDLECAST_TIMEFRAME": "1s",
            "CANDLECAST_BACKFILL_BARS": "20",
            "CANDLECAST_EXCHANGE_CONFIG": json.dumps(exchange_config(port)),
        }
        proc = subprocess.Popen([CANDLECAST, "run", "ingest"], env=env(redis_url, tmp_path, **extra))
        client, deadline = sync_redis.Redis.from_url(redis_url), time.monotonic() + 60
        while not client.xlen(Settings().keys.bars) and time.monotonic() < deadline:
            time.sleep(0.1)  # the process starts and backfills
        client.close()
        time.sleep(8)
        stopped_at = now_ms()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    got = published(redis_url, Settings().keys.bars)["BTCUSDT"]
    ts = np.array([int(b["ts"]) for b in got])
    start = int(np.searchsorted(bars["BTCUSDT"].ts, ts[0]))
    assert_final(got, bars["BTCUSDT"].take(slice(start, start + len(got))))  # contiguous: none missed
    assert len(got) >= 20 + 6  # the backfill, then a live bar each second for 8 s
    assert ts[-1] + step <= stopped_at  # nothing that had not closed
