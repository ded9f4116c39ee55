"""The ingest service: `candlecast run ingest` runs the configured bar source.

Sources: `synthetic` (a seeded random-walk market, the default; CANDLECAST_SYNTHETIC_SIGNAL
plants a learnable momentum signal). Exchange sources
(ccxt backfill and live closed candles) plug in here as further `BarSource`s.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal, Protocol

from pydantic import Field
from redis.asyncio import Redis

from candlecast.ingest.publish import publish_bars, record, time_ordered
from candlecast.ingest.synthetic import SyntheticMarket
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.timeframes import timeframe_ms
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.ingest")


class IngestSettings(Settings):
    source: Literal["synthetic"] = Field(default="synthetic", description="Where bars come from")
    symbols: list[str] = Field(default=["SYNTHA", "SYNTHB"], description="Symbols to produce")
    seed: int = Field(default=7, description="Synthetic market seed")
    synthetic_signal: float = Field(
        default=0.0, ge=0.0, lt=1.0, description="Planted momentum in the synthetic market (0: a random walk)"
    )
    backfill_bars: int = Field(default=3_000, ge=0, description="History published at start, per symbol")
    rate: float = Field(default=5.0, gt=0, description="Synthetic bars per second per symbol after backfill")


class BarSource(Protocol):
    def next_chunk(self, n: int) -> list[Bars]: ...


def synthetic_source(settings: IngestSettings, store: BarStore) -> SyntheticMarket:
    """Starts `backfill_bars` before now, or right after what the store already holds."""
    tf = timeframe_ms(settings.timeframe)
    start = (now_ms() // tf - settings.backfill_bars) * tf
    stored = [store.last_ts(s, settings.timeframe) for s in settings.symbols]
    resume = max((t for t in stored if t is not None), default=None)
    if resume is not None and resume >= start:
        start = resume + tf
    return SyntheticMarket(
        settings.symbols, settings.timeframe, start, settings.seed, signal=settings.synthetic_signal
    )


async def emit(redis: Redis, store: BarStore, settings: IngestSettings, series: list[Bars]) -> None:
    await record(store, series)
    await publish_bars(redis, settings.keys.bars, time_ordered(series), settings.maxlen)


async def main(settings: IngestSettings) -> None:
    redis = Redis.from_url(settings.url)
    store = BarStore(settings.home)
    source: BarSource = synthetic_source(settings, store)
    await emit(redis, store, settings, source.next_chunk(settings.backfill_bars))
    log.info("ingest: backfilled %d bars per symbol of %s", settings.backfill_bars, settings.symbols)
    tick = 1.0 / settings.rate
    try:
        while True:
            await emit(redis, store, settings, source.next_chunk(1))
            await asyncio.sleep(tick)
    finally:
        await redis.aclose()


def run() -> None:
    try:
        asyncio.run(main(IngestSettings()))
    except KeyboardInterrupt:
        log.info("ingest stopped")
