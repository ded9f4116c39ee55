"""Entries delivered the way the consumer loop delivers them: appended, then read in a group."""

from __future__ import annotations

from redis.asyncio import Redis

from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.core.entries import Entry, entry_from_fields


async def delivered(
    redis: Redis, stream: str, group: str, entries: list[Entry], consumer: str = "c"
) -> list[Entry]:
    """`entries` appended to `stream` and read by `consumer` of `group`: pending, as a handler gets them."""
    await ensure_group(redis, stream, group)
    for entry in entries:
        await redis.xadd(stream, {"__data__": entry.data})
    reply = await redis.xreadgroup(group, consumer, {stream: ">"}, count=len(entries) or 1)
    return [entry_from_fields(i, f) for _, rows in reply for i, f in rows]
