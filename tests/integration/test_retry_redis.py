"""The batch guard on a real Redis: transient failures retry in place, poison is dead-lettered."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.adapters.retry import MAX_ATTEMPTS, guarded
from candlecast.shared.core.entries import Entry, Origin

pytestmark = pytest.mark.redis
ORIGIN = Origin("in", "g")


async def no_sleep(_: float) -> None:
    return None


async def pending_entries(r: Redis) -> list[Entry]:
    await ensure_group(r, "in", "g")
    for i in range(3):
        await r.xadd("in", {"__data__": json.dumps({"i": i}).encode()})
    reply = await r.xreadgroup("g", "c", {"in": ">"})
    return [Entry(i.decode(), f[b"__data__"]) for i, f in reply[0][1]]


async def test_transient_failure_is_retried_until_it_works(redis_url) -> None:
    r = Redis.from_url(redis_url)
    entries = await pending_entries(r)
    calls: list[int] = []

    async def flaky(batch: list[Entry]) -> None:
        calls.append(len(batch))
        if len(calls) < 3:
            raise ConnectionError("blip")
        await r.xack("in", "g", *[e.id for e in batch])

    await guarded(flaky, r, ORIGIN, "dlq", 1000, sleep=no_sleep)(entries)
    assert calls == [3, 3, 3]
    assert await r.xlen("dlq") == 0
    assert (await r.xpending("in", "g"))["pending"] == 0
    await r.aclose()


async def test_poison_batch_is_dead_lettered_with_the_error_and_acked(redis_url) -> None:
    r = Redis.from_url(redis_url)
    entries = await pending_entries(r)
    calls = 0

    async def broken(batch: list[Entry]) -> None:
        nonlocal calls
        calls += 1
        raise KeyError("missing_feature")

    await guarded(broken, r, ORIGIN, "dlq", 1000, sleep=no_sleep)(entries)
    assert calls == MAX_ATTEMPTS
    dead = [json.loads(f[b"__data__"]) for _, f in await r.xrange("dlq")]
    assert [d["entry_id"] for d in dead] == [e.id for e in entries]
    assert "handler failed 5 times: KeyError('missing_feature')" in dead[0]["reason"]
    assert (await r.xpending("in", "g"))["pending"] == 0
    await r.aclose()
