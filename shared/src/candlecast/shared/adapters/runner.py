"""Running a service: groups from id 0, pending entries first, then a FastStream app.

Every consumer subscribes in batches, validates entries itself (so one bad entry
is dead-lettered instead of blocking its batch) and acks inside the same
MULTI/EXEC that writes its results (see `streams.commit`).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from faststream import AckPolicy, FastStream
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.message import RedisBatchStreamMessage
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from candlecast.shared.adapters.redis_streams import BatchHandler, drain_pending, ensure_group, reclaim_from
from candlecast.shared.adapters.retry import guarded
from candlecast.shared.adapters.tasks import cancel_and_wait
from candlecast.shared.adapters.wire import JsonFormat
from candlecast.shared.core.entries import Entry, Origin, entry_from_fields
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast")


@dataclass(frozen=True, slots=True)
class Consumer:
    """One consumer-group subscription of a service."""

    stream: str
    group: str
    handle: BatchHandler


async def raw_entries(msg: RedisBatchStreamMessage) -> list[Entry]:
    """FastStream decoder: the batch's entries, unparsed, with their ids."""
    raw = msg.raw_message
    return [entry_from_fields(i, f) for i, f in zip(raw["message_ids"], raw["data"], strict=True)]


def make_broker(settings: Settings) -> RedisBroker:
    return RedisBroker(settings.url, message_format=JsonFormat, logger=log, log_level=logging.DEBUG)


def subscribe(broker: RedisBroker, settings: Settings, consumer: Consumer) -> None:
    sub = StreamSub(
        consumer.stream,
        group=consumer.group,
        consumer=settings.consumer,
        batch=True,
        max_records=settings.batch_size,
        polling_interval=settings.block_ms,
    )

    async def on_entries(body: list[Entry]) -> None:
        await consumer.handle(body)

    broker.subscriber(stream=sub, decoder=raw_entries, ack_policy=AckPolicy.MANUAL)(on_entries)


async def prepare(redis: Redis, settings: Settings, consumers: Sequence[Consumer]) -> None:
    """Create missing groups, take over dead local consumers' entries, finish what is pending."""
    for c in consumers:
        await ensure_group(redis, c.stream, c.group)
    for c in consumers:
        for name in await consumer_names(redis, c.stream, c.group):
            if name != settings.consumer and dead_here(name, socket.gethostname()):
                await reclaim_from(redis, c.stream, c.group, name, settings.consumer)
        await drain_pending(redis, c.stream, c.group, settings.consumer, c.handle, settings.batch_size)


async def consumer_names(redis: Redis, stream: str, group: str) -> list[str]:
    infos = await redis.xinfo_consumers(stream, group)
    return [i["name"].decode() if isinstance(i["name"], bytes) else str(i["name"]) for i in infos]


def dead_here(name: str, host: str) -> bool:
    """A default-named consumer (`{host}-{pid}`) of this host whose process has gone."""
    prefix, _, pid = name.rpartition("-")
    if prefix != host or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


async def groups_missing(redis: Redis, consumers: Sequence[Consumer]) -> bool:
    for c in consumers:
        try:
            groups = await redis.xinfo_groups(c.stream)
        except ResponseError:
            return True
        if not any(g["name"] in (c.group, c.group.encode()) for g in groups):
            return True
    return False


async def serve(
    redis: Redis,
    settings: Settings,
    consumers: Sequence[Consumer],
    extra: Callable[[RedisBroker], None] | None = None,
) -> None:
    """Run until stopped; if Redis lost our groups (restart without persistence), set up again."""
    consumers = [
        Consumer(
            c.stream,
            c.group,
            guarded(c.handle, redis, Origin(c.stream, c.group), settings.keys.dlq, settings.maxlen),
        )
        for c in consumers
    ]
    while True:
        await prepare(redis, settings, consumers)
        broker = make_broker(settings)
        for c in consumers:
            subscribe(broker, settings, c)
        if extra is not None:
            extra(broker)
        await run_app(broker)
        if not await groups_missing(redis, consumers):
            return
        log.warning("consumer groups vanished (Redis restarted?); recreating them")


async def run_app(broker: RedisBroker) -> None:
    """FastStream's run; cancelled, it still stops the broker and waits for its subscriber tasks.

    `FastStream.run` only stops the broker when it exits by itself: cancelled, it
    leaves every subscriber's read loop running on the event loop.
    """
    try:
        await FastStream(broker, logger=log).run()
    except BaseException:
        tasks = [t for sub in broker.subscribers for t in getattr(sub, "tasks", ())]
        await broker.stop()  # readers stop looping, their tasks are cancelled, Redis is closed
        await cancel_and_wait(tasks)
        raise
