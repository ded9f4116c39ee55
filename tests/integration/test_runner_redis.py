"""The consumer loop on a real Redis: take-overs, delivery limits, lost groups, leases and stopping."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from candlecast.shared.adapters.redis_streams import Outbox, commit, ensure_group
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.core.entries import Entry
from candlecast.shared.settings import Settings

pytestmark = pytest.mark.redis


def settings(redis_url: str, name: str, **kw: object) -> Settings:
    return Settings(redis_url=redis_url, consumer=name, block_ms=20, **kw)


async def fill(r: Redis, n: int, start: int = 0) -> list[str]:
    await ensure_group(r, "in", "g")
    return [
        (await r.xadd("in", {"__data__": json.dumps({"i": i}).encode()})).decode() for i in range(start, n)
    ]


def recorder(r: Redis, seen: list[int]) -> Callable[[list[Entry]], Awaitable[None]]:
    async def handle(entries: list[Entry]) -> None:
        box = Outbox(1000)
        for e in entries:
            box.add_data("out", e.data, source=e.id)
        box.ack("in", "g", [e.id for e in entries])
        await commit(r, box)
        seen.extend(json.loads(e.data)["i"] for e in entries)

    return handle


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def running(r: Redis, s: Settings, consumer: Consumer) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    return stop, asyncio.create_task(serve(r, s, [consumer], stop))


async def test_set_up_takes_over_dead_local_consumers_but_not_live_ones(redis_url) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    dead, live = f"{host}-{gone.pid}", f"{host}-{os.getpid()}"
    r = Redis.from_url(redis_url)
    await fill(r, 5)
    await r.xreadgroup("g", dead, {"in": ">"}, count=3)  # crashed mid-batch
    await r.xreadgroup("g", live, {"in": ">"}, count=2)  # still working
    seen: list[int] = []
    stop, task = await running(r, settings(redis_url, f"{host}-new"), Consumer("in", "g", recorder(r, seen)))
    await until(lambda: _true(len(seen) >= 3))
    stop.set()
    await task
    assert seen == [0, 1, 2]
    names = [c["name"].decode() for c in await r.xinfo_consumers("in", "g")]
    assert dead not in names
    pending = await r.xpending("in", "g")
    assert pending["pending"] == 2
    assert [c["name"].decode() for c in pending["consumers"]] == [live]
    await r.aclose()


async def _true(value: bool) -> bool:
    return value


async def test_entries_idle_on_another_host_are_taken_over(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await fill(r, 4)
    await r.xreadgroup("g", "other-host-1", {"in": ">"}, count=4)  # a replica that died elsewhere
    seen: list[int] = []
    s = settings(redis_url, "me", reclaim_idle_ms=300, consumer_gone_ms=1_000)
    stop, task = await running(r, s, Consumer("in", "g", recorder(r, seen)))
    await until(lambda: _true(sorted(seen) == [0, 1, 2, 3]))
    await until(lambda: _names(r, exclude="me"), timeout=5)
    stop.set()
    await task
    assert await r.xlen("out") == 4
    assert (await r.xpending("in", "g"))["pending"] == 0
    await r.aclose()


async def _names(r: Redis, exclude: str) -> bool:
    """True once only `exclude` is left in the group (gone consumers were removed)."""
    return [c["name"].decode() for c in await r.xinfo_consumers("in", "g")] == [exclude]


async def test_an_entry_delivered_too_often_is_dead_lettered_with_its_count(redis_url) -> None:
    r = Redis.from_url(redis_url)
    ids = await fill(r, 2)
    await r.xreadgroup("g", "crashy", {"in": ">"}, count=2)
    for _ in range(3):  # three more consumers took it over and crashed on it in turn
        await r.xclaim("in", "g", "crashy", 0, [ids[0]])
    seen: list[int] = []
    s = settings(redis_url, "me", reclaim_idle_ms=200, max_deliveries=3)
    stop, task = await running(r, s, Consumer("in", "g", recorder(r, seen)))
    await until(lambda: _true(seen == [1]))
    await until(lambda: _length(r, "candlecast:dlq", 1))
    stop.set()
    await task
    letter = json.loads((await r.xrange("candlecast:dlq"))[0][1][b"__data__"])
    assert letter["entry_id"] == ids[0]
    assert letter["deliveries"] == 5
    assert "delivered 4 times without being processed (last to crashy)" in letter["reason"]
    assert (await r.xpending("in", "g"))["pending"] == 0
    await r.aclose()


async def _length(r: Redis, stream: str, n: int) -> bool:
    return bool(await r.xlen(stream) >= n)


async def test_a_lost_group_is_created_again_and_the_handler_state_reset(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await fill(r, 2)
    seen: list[int] = []
    resets: list[bool] = []
    consumer = Consumer("in", "g", recorder(r, seen), on_reset=lambda: resets.append(True))
    stop, task = await running(r, settings(redis_url, "me"), consumer)
    await until(lambda: _true(seen == [0, 1]))
    await r.delete("in")  # what an empty Redis restart looks like to the loop
    await until(lambda: _pending(r, 0))  # set up again: the group is back
    await fill(r, 4, start=2)
    await until(lambda: _true(seen == [0, 1, 2, 3]))
    stop.set()
    await task
    assert resets == [True]
    await r.aclose()


async def test_a_slow_batch_keeps_its_lease_and_no_replica_takes_it_over(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await fill(r, 1)
    slow_seen: list[int] = []
    fast_seen: list[int] = []
    inner = recorder(r, slow_seen)

    async def slow(entries: list[Entry]) -> None:
        await asyncio.sleep(1.5)  # five times the idle limit
        await inner(entries)

    s = settings(redis_url, "slow", reclaim_idle_ms=300)
    stop_a, a = await running(r, s, Consumer("in", "g", slow))
    await until(lambda: _pending(r, 1))
    stop_b, b = await running(
        r, settings(redis_url, "fast", reclaim_idle_ms=300), Consumer("in", "g", recorder(r, fast_seen))
    )
    await until(lambda: _true(slow_seen == [0]), timeout=5)
    stop_a.set()
    stop_b.set()
    await asyncio.gather(a, b)
    assert fast_seen == []
    assert await r.xlen("out") == 1
    await r.aclose()


async def _pending(r: Redis, n: int) -> bool:
    try:
        return bool((await r.xpending("in", "g"))["pending"] == n)
    except ResponseError:  # NOGROUP: not (yet) created again
        return False


async def test_stop_lets_the_batch_in_hand_finish_then_returns(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await fill(r, 3)
    seen: list[int] = []
    inner = recorder(r, seen)
    started = asyncio.Event()

    async def handle(entries: list[Entry]) -> None:
        started.set()
        await asyncio.sleep(0.3)
        await inner(entries)

    stop, task = await running(r, settings(redis_url, "me"), Consumer("in", "g", handle))
    await started.wait()
    stop.set()
    t0 = time.monotonic()
    await task
    assert time.monotonic() - t0 < 2.0
    assert seen == [0, 1, 2], "the batch in hand was committed, not dropped"
    assert (await r.xpending("in", "g"))["pending"] == 0
    await r.aclose()


async def test_stop_while_redis_is_unreachable_returns_within_the_grace_period() -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    seen: list[int] = []
    s = Settings(redis_url="redis://127.0.0.1:1/0", consumer="me", grace_s=2.0)
    stop, task = await running(dead, s, Consumer("in", "g", recorder(dead, seen)))
    await asyncio.sleep(1.0)
    assert not task.done(), "waits for Redis instead of dying"
    stop.set()
    t0 = time.monotonic()
    await task
    assert time.monotonic() - t0 < 2.0
    await dead.aclose()
