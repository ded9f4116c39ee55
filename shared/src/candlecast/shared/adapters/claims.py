"""Pending entries of a consumer group: list them, take them over, forget consumers that are gone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from candlecast.shared.adapters.redis_streams import Rows
from candlecast.shared.core.entries import Entry, entry_from_fields


@dataclass(frozen=True, slots=True)
class Pending:
    """One entry delivered to `consumer` and not acked yet."""

    id: str
    consumer: str
    idle_ms: int
    deliveries: int


@dataclass(frozen=True, slots=True)
class Member:
    """One consumer of a group, as XINFO CONSUMERS reports it."""

    name: str
    pending: int
    idle_ms: int


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def pending(
    redis: Redis, stream: str, group: str, count: int, consumer: str | None = None, idle_ms: int | None = None
) -> list[Pending]:
    """The oldest `count` pending entries, of one consumer or of all, idle at least `idle_ms`."""
    rows = await redis.xpending_range(stream, group, "-", "+", count, consumername=consumer, idle=idle_ms)
    return [
        Pending(
            _text(cast("bytes", r["message_id"])),
            _text(cast("bytes", r["consumer"])),
            int(r["time_since_delivered"]),
            int(r["times_delivered"]),
        )
        for r in rows
    ]


async def take(
    redis: Redis, stream: str, group: str, me: str, items: list[Pending], min_idle_ms: int
) -> tuple[list[Entry], list[str]]:
    """Claim `items` for `me` (each delivery count goes up by one): the entries still there,
    and the ids whose entries MAXLEN trimmed away (acked here: there is nothing left to do).

    An entry acked, or claimed by another consumer, since it was listed is not returned.
    """
    if not items:
        return [], []
    ids: list[int | bytes | str | memoryview[int]] = [p.id for p in items]
    rows = cast("Rows", await redis.xclaim(stream, group, me, min_idle_ms, ids))
    entries = [entry_from_fields(i, f) for i, f in rows if f]
    gone = [_text(i) for i, f in rows if not f]  # Redis 6.2 returns trimmed entries empty; 7 drops them
    if gone:
        await redis.xack(stream, group, *gone)
    return entries, gone


async def members(redis: Redis, stream: str, group: str) -> list[Member]:
    infos = await redis.xinfo_consumers(stream, group)
    return [Member(_text(i["name"]), int(i["pending"]), int(i["idle"])) for i in infos]


async def forget(redis: Redis, stream: str, group: str, name: str) -> None:
    await redis.xgroup_delconsumer(stream, group, name)
