"""The batch settler on a real Redis: Redis errors go up, the entry at fault is found and dead-lettered."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.adapters.retry import ATTEMPTS, Settler, Stopping
from candlecast.shared.core.entries import Entry, Origin

pytestmark = pytest.mark.redis
ORIGIN = Origin("in", "g", "tests", 64)


async def no_sleep(_: float) -> None:
    return None


async def pending_entries(r: Redis, n: int = 3, big: int = 0) -> list[Entry]:
    await ensure_group(r, "in", "g")
    for i in range(n):
        await r.xadd("in", {"__data__": json.dumps({"i": i, "pad": "x" * big}).encode()})
    reply = await r.xreadgroup("g", "c", {"in": ">"})
    return [Entry(i.decode(), f[b"__data__"]) for i, f in reply[0][1]]


def settler(r: Redis, handle, stop: asyncio.Event | None = None) -> Settler:
    return Settler(handle, r, ORIGIN, "dlq", 1000, stop or asyncio.Event(), sleep=no_sleep)


async def test_a_redis_outage_goes_up_to_the_loop_and_nothing_is_dead_lettered(redis_url) -> None:
    r = Redis.from_url(redis_url)
    entries = await pending_entries(r)

    async def outage(batch: list[Entry]) -> None:
        raise RedisConnectionError("Connection closed by server.")

    with pytest.raises(RedisConnectionError):
        await settler(r, outage)(entries)
    assert await r.xlen("dlq") == 0
    assert (await r.xpending("in", "g"))["pending"] == 3, "left pending for the loop to re-read"
    await r.aclose()


async def test_one_poison_entry_is_dead_lettered_and_the_rest_of_its_batch_flows_on(redis_url) -> None:
    r = Redis.from_url(redis_url)
    entries = await pending_entries(r, n=9, big=100)
    poison = entries[5].id
    calls: list[int] = []

    async def handle(batch: list[Entry]) -> None:
        calls.append(len(batch))
        if any(e.id == poison for e in batch):
            raise KeyError("missing_feature")
        await r.xack("in", "g", *[e.id for e in batch])

    await settler(r, handle)(entries)
    dead = [json.loads(f[b"__data__"]) for _, f in await r.xrange("dlq")]
    assert [d["entry_id"] for d in dead] == [poison]
    assert f"handler failed {ATTEMPTS} times: KeyError('missing_feature')" in dead[0]["reason"]
    assert dead[0]["service"] == "tests"
    assert dead[0]["truncated"], "the payload is cut to 64 chars..."
    assert dead[0]["size"] > 100, "...and its full size kept"
    assert (await r.xpending("in", "g"))["pending"] == 0
    assert len(calls) <= 3 * 4 + ATTEMPTS, "the halving finds the entry in a few tries, not one per entry"
    await r.aclose()


async def test_a_glitch_that_passes_on_retry_dead_letters_nothing(redis_url) -> None:
    r = Redis.from_url(redis_url)
    entries = await pending_entries(r)
    calls: list[int] = []

    async def flaky(batch: list[Entry]) -> None:
        calls.append(len(batch))
        if len(calls) == 1:
            raise RuntimeError("thread pool hiccup")
        await r.xack("in", "g", *[e.id for e in batch])

    await settler(r, flaky)(entries)
    assert calls == [3, 3]
    assert await r.xlen("dlq") == 0
    await r.aclose()


async def test_a_stop_between_tries_leaves_the_batch_pending(redis_url) -> None:
    r = Redis.from_url(redis_url)
    entries = await pending_entries(r)
    stop = asyncio.Event()

    async def failing(batch: list[Entry]) -> None:
        stop.set()
        raise ValueError("bad")

    with pytest.raises(Stopping):
        await settler(r, failing, stop)(entries)
    assert await r.xlen("dlq") == 0
    assert (await r.xpending("in", "g"))["pending"] == 3
    await r.aclose()
