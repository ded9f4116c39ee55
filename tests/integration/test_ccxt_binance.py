"""The ccxt source through the real `ccxt.binance` class, against a local Binance stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest

from candlecast.ingest.ccxt_source import CcxtSource, RetryPolicy, open_exchange
from candlecast.ingest.publish import record
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.core.bars import Bars, concat
from tests.support.binance_standin import Market, ServerClock, exchange_config, serve
from tests.support.data import real_bars

TF = 300_000
FAST = RetryPolicy(attempts=4, base_s=0.01, cap_s=0.05)


def held(n: int) -> dict[str, Bars]:
    return {s: real_bars(s).take(slice(0, n)) for s in ("BTCUSDT", "ETHUSDT")}


class Sink:
    """Records to the bar store, then keeps what would be published."""

    def __init__(self, store: BarStore) -> None:
        self.store = store
        self.published: list[Bars] = []

    async def __call__(self, series: list[Bars]) -> None:
        await record(self.store, series)
        self.published.extend(series)

    def of(self, symbol: str) -> Bars:
        return concat([b for b in self.published if b.symbol == symbol])


@pytest.fixture
def market() -> Market:
    bars = held(2_600)
    start = int(bars["BTCUSDT"].ts[0])
    return Market(bars, clock=ServerClock(start + 2_500 * TF + 90_000))  # bar 2500 forming


@pytest.fixture
def port(market: Market) -> Iterator[int]:
    with serve(market) as p:
        yield p


@pytest.fixture
async def source(port: int, market: Market) -> AsyncIterator[CcxtSource]:
    async def fake_sleep(seconds: float) -> None:  # the exchange's clock moves instead
        market.clock.advance(int(seconds * 1000))
        await asyncio.sleep(0)

    exchange = open_exchange("binance", exchange_config(port))
    src = CcxtSource(exchange, ["BTC/USDT", "ETH/USDT"], "5m", policy=FAST, sleep=fake_sleep)
    yield src
    await exchange.close()


def same_bars(got: Bars, want: Bars) -> None:
    assert got.ts.tolist() == want.ts.tolist()
    for col in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(getattr(got, col), getattr(want, col), rtol=1e-12)


async def test_backfill_pages_through_every_closed_bar_once(
    source: CcxtSource, market: Market, tmp_path: Path
) -> None:
    sink, start = Sink(BarStore(tmp_path)), int(market.bars["BTCUSDT"].ts[0])
    stats = await source.backfill(sink.store, sink, start)
    for s in ("BTCUSDT", "ETHUSDT"):
        same_bars(sink.of(s), market.bars[s].take(slice(0, 2_500)))  # not the forming one
    assert stats.bars == 5_000
    assert market.klines_served == 2 * 3  # 1000 + 1000 + 500 per symbol
    assert stats.retries == 0


async def test_429_is_retried_and_counted(source: CcxtSource, market: Market, tmp_path: Path) -> None:
    market.every_429 = 3
    sink, start = Sink(BarStore(tmp_path)), int(market.bars["BTCUSDT"].ts[0])
    stats = await source.backfill(sink.store, sink, start)
    same_bars(sink.of("ETHUSDT"), market.bars["ETHUSDT"].take(slice(0, 2_500)))
    assert stats.retries == len(market.requests) // 3  # every 429 answered once more
    assert stats.retries >= 2


async def test_a_second_backfill_adds_nothing(source: CcxtSource, market: Market, tmp_path: Path) -> None:
    sink, start = Sink(BarStore(tmp_path)), int(market.bars["BTCUSDT"].ts[0])
    await source.backfill(sink.store, sink, start)
    served, published = market.klines_served, len(sink.published)
    stats = await source.backfill(sink.store, sink, start)
    assert stats.bars == 5_000  # unchanged: the second run added nothing
    assert len(sink.published) == published
    assert market.klines_served == served  # nothing to ask for either


async def test_a_hole_in_the_store_is_repaired(source: CcxtSource, market: Market, tmp_path: Path) -> None:
    store = BarStore(tmp_path)
    btc = market.bars["BTCUSDT"].take(slice(0, 2_500))
    keep = np.ones(2_500, dtype=bool)
    keep[1_200:1_300] = False
    store.append(btc.take(keep))
    sink = Sink(store)
    stats = await source.backfill(store, sink, int(btc.ts[0]))
    same_bars(sink.of("BTCUSDT"), btc.take(slice(1_200, 1_300)))
    same_bars(store.read("BTCUSDT", "5m"), btc)
    assert stats.gaps_repaired == 1


async def test_the_forming_candle_waits_until_closed_then_has_final_values(
    source: CcxtSource, market: Market, tmp_path: Path
) -> None:
    sink, btc = Sink(BarStore(tmp_path)), market.bars["BTCUSDT"]
    forming_ts = int(btc.ts[2_500])
    await source.backfill(sink.store, sink, int(btc.ts[2_490]))
    assert forming_ts not in sink.of("BTCUSDT").ts.tolist()
    cursors = source.resume_from(sink.store, 0, await source.exchange_now())
    await source.live(cursors, sink, rounds=1)  # sleeps (on the server clock) to the next boundary
    await source.live(cursors, sink, rounds=1)
    same_bars(sink.of("BTCUSDT").take(slice(-1, None)), btc.take(slice(2_500, 2_501)))


async def test_live_publishes_each_closed_candle_once_through_an_outage(
    source: CcxtSource, market: Market, tmp_path: Path
) -> None:
    store = BarStore(tmp_path)
    store.append(market.bars["BTCUSDT"].take(slice(0, 2_400)))
    sink, ticks = Sink(store), 0
    slept = source.sleep

    async def sleep_with_outage(seconds: float) -> None:
        nonlocal ticks
        ticks += 1
        market.down = 8 <= ticks < 14  # the exchange is away for a few boundaries
        await slept(seconds)

    source.sleep = sleep_with_outage
    cursors = source.resume_from(store, 100, await source.exchange_now())
    stats = await source.live(cursors, sink, rounds=30)
    # the last round ran one boundary before the clock's final position
    closed = (market.clock.now() - 2_000) // TF * TF - TF
    for s, first in (("BTCUSDT", 2_400), ("ETHUSDT", 2_400)):
        want = market.bars[s].take(market.bars[s].ts < closed).take(slice(first, None))
        same_bars(sink.of(s), want)
    assert stats.gaps_repaired >= 2  # one per symbol after the outage
    assert stats.retries > 0


async def test_the_exchanges_own_holes_are_skipped_and_asked_again_for_nothing(
    source: CcxtSource, market: Market, tmp_path: Path
) -> None:
    btc = market.bars["BTCUSDT"]
    market.holes = {int(t) for t in btc.ts[[10, 11, 1_500]]}
    sink = Sink(BarStore(tmp_path))
    await source.backfill(sink.store, sink, int(btc.ts[0]))
    got = sink.of("BTCUSDT")
    assert len(got) == 2_500 - 3
    assert not set(got.ts.tolist()) & market.holes
    published = len(sink.published)
    stats = await source.backfill(sink.store, sink, int(btc.ts[0]))
    assert len(sink.published) == published  # the holes are asked for again, and nothing comes
    assert stats.gaps_repaired == 0
