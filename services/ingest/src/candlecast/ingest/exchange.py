"""Exchange ingest: `candlecast run ingest` with CANDLECAST_SOURCE=ccxt, and `candlecast backfill`.

Both record each new bar to the bar store, then publish it (as every ingest path does).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from redis.asyncio import Redis

from candlecast.ingest.ccxt_source import CcxtSource, Emit, Progress, Stats, open_exchange
from candlecast.ingest.publish import clean, publish_bars, record, time_ordered
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.core.bars import Bars

log = logging.getLogger("candlecast.ingest.exchange")


def emitter(redis: Redis, store: BarStore, stream: str, maxlen: int) -> Emit:
    """Record, then publish: impossible rows are dropped first, as replay does."""

    async def emit(series: list[Bars]) -> None:
        kept, dropped = clean(series)
        if dropped:
            log.warning("dropped %d impossible bars from the exchange", dropped)
        await record(store, kept)
        await publish_bars(redis, stream, time_ordered(kept), maxlen)

    return emit


async def run_exchange(
    exchange_id: str,
    config: Mapping[str, object],
    symbols: list[str],
    timeframe: str,
    backfill_bars: int,
    store: BarStore,
    emit: Emit,
    before_request: Callable[[], Awaitable[None]] | None = None,
) -> Stats:
    """Fill from the store's last bar (or `backfill_bars` back), then publish closed candles live."""
    exchange = open_exchange(exchange_id, config)
    try:
        source = CcxtSource(exchange, symbols, timeframe, before_request=before_request)
        cursors = source.resume_from(store, backfill_bars, await source.exchange_now())
        log.info("ingest: %s %s %s from %s", exchange_id, symbols, timeframe, cursors)
        return await source.live(cursors, emit)
    finally:
        await exchange.close()


async def backfill(
    exchange_id: str,
    config: Mapping[str, object],
    symbols: list[str],
    timeframe: str,
    span: tuple[int, int | None],
    store: BarStore,
    emit: Emit,
    start_progress: Callable[[int], Progress] | None = None,
) -> tuple[Stats, int]:
    """Backfill [since, until) of what the store lacks; returns the stats and how many bars were
    missing. `start_progress(missing)` gives the callback that counts fetched bars."""
    exchange = open_exchange(exchange_id, config)
    try:
        source = CcxtSource(exchange, symbols, timeframe)
        since, until = span
        now = await source.exchange_now()
        end = source.closed_end(now) if until is None else min(until, source.closed_end(now))
        missing = sum(
            (b - a) // source.tf for runs in source.plan(store, since, end).values() for a, b in runs
        )
        progress = start_progress(missing) if start_progress else None
        stats = await source.backfill(store, emit, since, end, progress)
        return stats, missing
    finally:
        await exchange.close()
