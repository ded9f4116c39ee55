"""The recorder: every valid bar on `bars`, whoever published it, into the bar store.

It reads `bars` in its own consumer group (`recorder`), so bars published with
redis-cli or any other client are recorded too. Ingest and replay record before
they publish; the bar store keeps the first row per (symbol, timeframe, ts), so
recording the same bar again adds nothing. Bars that cannot be closed bars now
(`core.admission.time_refusal`: from the future, ts in seconds or microseconds)
and entries that are not bars are skipped: the features consumer dead-letters them.

`candlecast run ingest` always runs it beside its source; `candlecast run recorder`
runs it alone (for a deployment where only other clients publish bars).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from functools import partial
from typing import Any

from pydantic import TypeAdapter
from redis.asyncio import Redis

from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.connect import client, wait_until_up
from candlecast.shared.adapters.health import with_health
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.adapters.shutdown import run_until_stopped
from candlecast.shared.adapters.tasks import cancel_and_wait
from candlecast.shared.core.admission import time_refusal
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import GROUP_RECORDER
from candlecast.shared.core.entries import Entry, Origin, decode
from candlecast.shared.core.messages import BarClosed
from candlecast.shared.core.ports import Clock
from candlecast.shared.core.timeframes import timeframe_ms
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.recorder")
BAR = TypeAdapter(BarClosed)


class Recorder:
    """Appends each batch's valid bars to the bar store, then acks the batch."""

    def __init__(self, redis: Redis, store: BarStore, settings: Settings, clock: Clock = now_ms) -> None:
        self.redis, self.store, self.settings, self.clock = redis, store, settings, clock
        self.origin = Origin(settings.keys.bars, GROUP_RECORDER, "recorder", settings.dlq_payload_chars)
        self.recorded = 0
        self.skipped = 0

    async def handle(self, entries: list[Entry]) -> None:
        now = self.clock()
        decoded = decode(entries, BAR, self.origin, now, self.settings.max_bar_bytes)
        rules = self.settings.admission
        bars = [b for _, b in decoded.ok if time_refusal(b.ts, timeframe_ms(b.timeframe), now, rules) is None]
        new = sum(await asyncio.gather(*(asyncio.to_thread(self.store.append, s) for s in by_series(bars))))
        self.recorded += new
        self.skipped += len(entries) - len(bars)
        if entries:
            await self.redis.xack(self.origin.stream, GROUP_RECORDER, *[e.id for e in entries])
        if new:
            log.debug("recorded %d new bars (%d total, %d entries skipped)", new, self.recorded, self.skipped)


def by_series(bars: list[BarClosed]) -> list[Bars]:
    """One `Bars` per (symbol, timeframe), sorted by ts."""
    groups: dict[tuple[str, str], list[BarClosed]] = {}
    for bar in bars:
        groups.setdefault((bar.symbol, bar.timeframe), []).append(bar)
    return [Bars.from_messages(sorted(g, key=lambda b: b.ts)) for g in groups.values()]


async def record_stream(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Consume `bars` in the recorder group until stopped."""
    redis = client(settings)
    if not await wait_until_up(redis, settings.url, stop, log):
        await redis.aclose()
        return
    recorder = Recorder(redis, BarStore(settings.home), settings)
    log.info("recorder: bars on %s into %s", settings.keys.bars, settings.home)
    try:
        await serve(redis, settings, [Consumer(settings.keys.bars, GROUP_RECORDER, recorder.handle)], stop)
    finally:
        await redis.aclose()


async def beside_recorder(work: Coroutine[Any, Any, None], settings: Settings, stop: asyncio.Event) -> None:
    """Run `work` and the recorder together until `stop`; when either ends, stop the other.

    On `stop` the recorder finishes its batch; `work` (a source) is cancelled at once.
    """
    recording = asyncio.ensure_future(record_stream(settings, stop))
    tasks = [asyncio.ensure_future(work), recording, asyncio.ensure_future(stop.wait())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            await asyncio.wait([recording], timeout=settings.grace_s * 0.8)
    finally:
        await cancel_and_wait(tasks)
    for task in done:
        task.result()


def run() -> None:
    """`candlecast run recorder`."""
    settings = Settings()
    groups = [(settings.keys.bars, GROUP_RECORDER)]
    run_until_stopped(with_health(settings, groups, partial(record_stream, settings)), settings.grace_s)
