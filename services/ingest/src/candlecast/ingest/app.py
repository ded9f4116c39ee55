"""The ingest service: `candlecast run ingest` runs the configured bar source.

Sources: `synthetic` (a seeded random-walk market, the default; CANDLECAST_SYNTHETIC_SIGNAL
plants a learnable momentum signal) and `ccxt` (CANDLECAST_EXCHANGE, CANDLECAST_SYMBOLS as a
JSON list in ccxt spelling, CANDLECAST_EXCHANGE_CONFIG as JSON): fill from the bar store's last
bar (or CANDLECAST_BACKFILL_BARS back), then each closed candle just after its boundary.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Literal, Protocol

from pydantic import Field
from redis.asyncio import Redis

from candlecast.ingest.budget import RedisBudget
from candlecast.ingest.drivers import Regimes
from candlecast.ingest.exchange import emitter, run_exchange
from candlecast.ingest.live import closed_chunk, run_live
from candlecast.ingest.publish import publish_bars, record, time_ordered
from candlecast.ingest.recorder import beside_recorder
from candlecast.ingest.synthetic import SyntheticMarket
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.connect import client, reachable
from candlecast.shared.adapters.health import with_health
from candlecast.shared.adapters.shutdown import run_until_stopped
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import GROUP_RECORDER
from candlecast.shared.core.messages import stream_symbol
from candlecast.shared.core.timeframes import timeframe_ms
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.ingest")


class IngestSettings(Settings):
    source: Literal["synthetic", "ccxt"] = Field(default="synthetic", description="Where bars come from")
    symbols: list[str] = Field(
        default=["SYNTHA", "SYNTHB"], description="Symbols to produce (ccxt: exchange spelling, BTC/USDT)"
    )
    exchange: str = Field(default="binance", description="ccxt exchange id (source ccxt)")
    exchange_config: dict[str, object] = Field(
        default_factory=dict, description="ccxt constructor options as JSON: sandbox, proxies, keys, urls"
    )
    exchange_budget: int = Field(
        default=0,
        ge=0,
        description="Requests per minute to the exchange, shared by all replicas via Redis (0: off)",
    )
    seed: int = Field(default=7, description="Synthetic market seed")
    synthetic_signal: float = Field(
        default=0.0, ge=0.0, lt=1.0, description="Planted momentum in the synthetic market (0: a random walk)"
    )
    backfill_bars: int = Field(
        default=3_000, ge=0, description="History published at start, per symbol (when the store has none)"
    )
    synthetic_correlation: float = Field(
        default=0.0, ge=0.0, lt=1.0, description="Correlation of the synthetic symbols' returns"
    )
    synthetic_regimes: bool = Field(default=False, description="Calm/volatile volatility regimes")


class BarSource(Protocol):
    def next_chunk(self, n: int) -> list[Bars]: ...


def synthetic_source(settings: IngestSettings, store: BarStore) -> SyntheticMarket:
    """Starts `backfill_bars` before now (the last one closing by now), or right after what
    the store already holds, from each series' last stored close (no price jump on a restart);
    `run_live` then emits each bar only once the clock passes its close."""
    tf = timeframe_ms(settings.timeframe)
    start = (now_ms() // tf - settings.backfill_bars) * tf
    symbols = [stream_symbol(s) for s in settings.symbols]  # BTC/USDT (ccxt spelling) is BTCUSDT
    stored = [store.last_ts(s, settings.timeframe) for s in symbols]
    resume = max((t for t in stored if t is not None), default=None)
    prices: dict[str, float] = {}
    if resume is not None and resume >= start:
        start = resume + tf
        for symbol in symbols:
            last = store.read(symbol, settings.timeframe, start - settings.backfill_bars * tf).close[-1:]
            prices |= {symbol: float(last[0])} if len(last) else {}
    return SyntheticMarket(
        symbols,
        settings.timeframe,
        start,
        settings.seed,
        signal=settings.synthetic_signal,
        regimes=Regimes() if settings.synthetic_regimes else None,
        correlation=settings.synthetic_correlation,
        start_prices=prices,
    )


async def emit(redis: Redis, store: BarStore, settings: IngestSettings, series: list[Bars]) -> None:
    await record(store, series)
    await publish_bars(redis, settings.keys.bars, time_ordered(series), settings.maxlen)


async def main(settings: IngestSettings) -> None:
    redis = client(settings)
    store = BarStore(settings.home)
    if settings.source == "ccxt":
        try:
            emit_bars = emitter(redis, store, settings.keys.bars, settings.maxlen)
            args = (settings.exchange, settings.exchange_config, settings.symbols, settings.timeframe)
            per_minute = settings.exchange_budget
            budget = RedisBudget(redis, settings.keys, settings.exchange, per_minute) if per_minute else None
            await run_exchange(
                *args, settings.backfill_bars, store, emit_bars, budget.acquire if budget else None
            )
        finally:
            await redis.aclose()
        return
    market = synthetic_source(settings, store)
    backfill = closed_chunk(market, now_ms())
    await emit(redis, store, settings, backfill)
    log.info(
        "ingest: backfilled %d bars per symbol of %s", len(backfill[0]) if backfill else 0, settings.symbols
    )
    try:
        await run_live(market, now_ms, asyncio.sleep, partial(emit, redis, store, settings))
    finally:
        await redis.aclose()


def run() -> None:
    settings = IngestSettings()

    async def with_recorder(stop: asyncio.Event) -> None:
        if await reachable(settings, stop, log):  # before the source or the recorder touches Redis
            await beside_recorder(main(settings), settings, stop)  # records bars any client publishes

    groups = [(settings.keys.bars, GROUP_RECORDER)]  # the recorder's: the source has none
    run_until_stopped(with_health(settings, groups, with_recorder), settings.grace_s)
