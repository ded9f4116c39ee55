"""The exchange request budget shared through a real Redis by several ingest replicas."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from candlecast.ingest.budget import WINDOW_MS, RedisBudget
from candlecast.ingest.ccxt_source import CcxtSource, RetryPolicy, open_exchange
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import Keys
from tests.support.binance_standin import Market, ServerClock, exchange_config, serve
from tests.support.clock import FakeClock
from tests.support.data import real_bars

pytestmark = pytest.mark.redis


async def test_replicas_share_one_budget_per_window(redis_url) -> None:
    redis, t = Redis.from_url(redis_url), FakeClock(100 * WINDOW_MS + 15_000)
    a, b = (RedisBudget(redis, Keys(), "binance", 5, clock=t, sleep=t.sleep) for _ in range(2))
    for budget in (a, b, a, b, a):
        await budget.acquire()
    assert t.sleeps == []
    await b.acquire()  # the sixth request in this minute waits for the next one
    assert t.sleeps == [45.0]
    assert b.waits == 1
    assert t.now == 101 * WINDOW_MS
    await redis.aclose()


async def test_every_exchange_request_takes_one_unit(redis_url, tmp_path: Path) -> None:
    bars = {"BTCUSDT": real_bars("BTCUSDT").take(slice(0, 1_500))}
    first = int(bars["BTCUSDT"].ts[0])
    market = Market(bars, clock=ServerClock(first + 1_400 * 300_000))
    redis = Redis.from_url(redis_url)
    budget = RedisBudget(redis, Keys(), "binance", 1_000)
    with serve(market) as port:
        exchange = open_exchange("binance", exchange_config(port))
        source = CcxtSource(exchange, ["BTC/USDT"], "5m", policy=RetryPolicy(), before_request=budget.acquire)
        got: list[Bars] = []

        async def keep(series: list[Bars]) -> None:
            got.extend(series)

        stats = await source.backfill(BarStore(tmp_path), keep, first)
        await exchange.close()
    used = sum([int(await redis.get(k)) async for k in redis.scan_iter("candlecast:budget:binance:*")])
    assert sum(len(b) for b in got) == 1_399
    assert used == stats.requests == len(market.requests)  # /time, exchangeInfo, 2 pages of klines
    await redis.aclose()
