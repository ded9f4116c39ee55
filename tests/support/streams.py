"""Entries delivered the way the consumer loop delivers them: appended, then read in a group."""

from __future__ import annotations

from typing import Protocol

from redis.asyncio import Redis

from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.core.entries import Entry, Origin, entry_from_fields


async def delivered(
    redis: Redis, stream: str, group: str, entries: list[Entry], consumer: str = "c"
) -> list[Entry]:
    """`entries` appended to `stream` and read by `consumer` of `group`: pending, as a handler gets them."""
    await ensure_group(redis, stream, group)
    for entry in entries:
        await redis.xadd(stream, {"__data__": entry.data})
    reply = await redis.xreadgroup(group, consumer, {stream: ">"}, count=len(entries) or 1)
    return [entry_from_fields(i, f) for _, rows in reply for i, f in rows]


class Consuming(Protocol):
    """A service's batch handler and where its entries come from."""

    redis: Redis
    origin: Origin

    async def handle(self, entries: list[Entry]) -> None: ...


async def handle_delivered(service: Consuming, entries: list[Entry]) -> list[Entry]:
    """`service.handle` on `entries` delivered through its group; returns them with their real ids."""
    got = await delivered(service.redis, service.origin.stream, service.origin.group, entries)
    await service.handle(got)
    return got
