"""A batch that fails is never dropped and never wedges its stream.

- Redis unreachable, restarting or refusing writes: the error goes up to the consumer
  loop (`runner.py`), which waits for Redis and re-reads what is still pending.
- Any other error: the batch is tried again, then split in halves down to the entry at
  fault, which is dead-lettered with the error; every other entry flows on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.redis_streams import BatchHandler, Outbox, commit
from candlecast.shared.core.entries import Entry, Origin, clip, dead_letter

log = logging.getLogger(__name__)

ATTEMPTS = 3  # tries of a single entry before it is dead-lettered
FIRST_DELAY_S = 0.2
# Replies that say Redis is not ready or lost our group, not that the entry is bad.
TRANSIENT_REPLIES = frozenset(
    ("NOGROUP", "LOADING", "BUSY", "READONLY", "MISCONF", "OOM", "MASTERDOWN", "TRYAGAIN", "NOAUTH", "NOPERM")
)

Sleep = Callable[[float], Awaitable[None]]


class Stopping(Exception):  # noqa: N818 - a signal, not an error
    """Shutdown was asked for: what is not committed stays pending."""


def transient(exc: BaseException) -> bool:
    """An error of reaching Redis, or of a Redis not ready to serve us, rather than of an entry."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError | TimeoutError):
        return True
    return isinstance(exc, ResponseError) and str(exc).split(" ", 1)[0] in TRANSIENT_REPLIES


@dataclass(slots=True)
class Settler:
    """Runs `handle` on a batch until every entry is committed or dead-lettered."""

    handle: BatchHandler
    redis: Redis
    origin: Origin
    dlq: str
    maxlen: int
    stop: asyncio.Event
    sleep: Sleep = asyncio.sleep

    async def __call__(self, entries: list[Entry]) -> None:
        if entries:
            await self._settle(entries)

    async def _settle(self, entries: list[Entry]) -> None:
        error = await self._tries(entries, 2 if len(entries) > 1 else ATTEMPTS)
        if error is None:
            return
        if len(entries) > 1:
            mid = len(entries) // 2
            log.warning(
                "batch of %d from %s failed (%s); splitting it to find the entry at fault",
                len(entries), self.origin.stream, clip(repr(error), 200),
            )  # fmt: skip
            await self._settle(entries[:mid])
            await self._settle(entries[mid:])
            return
        await self.give_up(entries, f"handler failed {ATTEMPTS} times: {error!r}")

    async def _tries(self, entries: list[Entry], tries: int) -> Exception | None:
        delay, error = FIRST_DELAY_S, None
        for attempt in range(tries):
            if self.stop.is_set():
                raise Stopping
            if attempt:
                await self.sleep(delay)
                delay *= 2
            try:
                await self.handle(entries)
            except Exception as exc:
                if transient(exc):
                    raise
                error = exc
            else:
                return None
        return error

    async def give_up(self, entries: list[Entry], reason: str, deliveries: int = 1) -> None:
        """Dead-letter `entries` with `reason` and ack them, in one commit (each once, whoever commits)."""
        outbox = Outbox(self.maxlen)
        for entry in entries:
            letter = dead_letter(self.origin, entry, reason, now_ms(), deliveries=deliveries)
            outbox.add(self.dlq, letter, source=entry.id)
        outbox.ack(self.origin.stream, self.origin.group, [e.id for e in entries])
        await commit(self.redis, outbox)  # which logs each dead letter with its reason
