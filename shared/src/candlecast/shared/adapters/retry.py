"""A batch handler that never drops a batch silently: retry it in place, then dead-letter it.

FastStream leaves a failed batch pending and reads on, so without this guard a
transient error (Redis blip) would park entries until the next restart, and a
poison entry would crash-loop the start-up drain.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.redis_streams import BatchHandler, Outbox, commit
from candlecast.shared.core.entries import Entry, Origin, dead_letter

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_DELAY_S = 0.2
MAX_DELAY_S = 5.0

Sleep = Callable[[float], Awaitable[None]]


async def reachable(redis: Redis) -> bool:
    try:
        return bool(await redis.ping())
    except RedisError:
        return False


async def give_up(
    redis: Redis, origin: Origin, dlq: str, entries: list[Entry], error: str, maxlen: int
) -> None:
    outbox = Outbox(maxlen)
    for entry in entries:
        outbox.add(dlq, dead_letter(origin, entry, error, now_ms()))
    outbox.ack(origin.stream, origin.group, [e.id for e in entries])
    await commit(redis, outbox)


def guarded(
    handle: BatchHandler, redis: Redis, origin: Origin, dlq: str, maxlen: int, sleep: Sleep = asyncio.sleep
) -> BatchHandler:
    """Retry with backoff; after MAX_ATTEMPTS with Redis up, dead-letter the batch with the error.

    While Redis is unreachable it keeps retrying (capped backoff): nothing is given up
    because of an outage.
    """

    async def run(entries: list[Entry]) -> None:
        delay, attempt = FIRST_DELAY_S, 0
        while True:
            attempt += 1
            try:
                await handle(entries)
            except Exception as exc:
                log.exception("batch of %d from %s failed (attempt %d)", len(entries), origin.stream, attempt)
                if attempt >= MAX_ATTEMPTS and await reachable(redis):
                    error = f"handler failed {attempt} times: {exc!r}"[:1000]
                    await give_up(redis, origin, dlq, entries, error, maxlen)
                    return
                await sleep(delay)
                delay = min(delay * 2, MAX_DELAY_S)
            else:
                return

    return run
