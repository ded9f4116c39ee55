"""The consumer loop working a batch out while the previous batch's commit runs (`Consumer.prepare`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from candlecast.shared.adapters.redis_streams import Outbox, commit, ensure_group
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.core.entries import Entry
from candlecast.shared.settings import Settings
from tests.integration.test_runner_redis import until

pytestmark = pytest.mark.redis


class Echo:
    """Copies each entry to the stream its `to` names ("out" by default), acking it."""

    def __init__(self, r: Redis) -> None:
        self.r = r
        self.prepared: list[list[int]] = []
        self.handled: list[list[int]] = []

    async def prepare(self, entries: list[Entry]) -> Outbox:
        box = Outbox(10_000)
        for e in entries:
            box.add_data(json.loads(e.data).get("to", "out"), e.data, source=e.id)
        box.ack("in", "g", [e.id for e in entries])
        self.prepared.append([json.loads(e.data)["i"] for e in entries])
        return box

    async def handle(self, entries: list[Entry]) -> None:
        self.handled.append([json.loads(e.data)["i"] for e in entries])
        await commit(self.r, await self.prepare(entries))

    def consumer(self) -> Consumer:
        return Consumer("in", "g", self.handle, prepare=self.prepare)


async def publish(r: Redis, docs: list[dict[str, object]]) -> None:
    pipe = r.pipeline(transaction=False)
    for d in docs:
        pipe.xadd("in", {"__data__": json.dumps(d).encode()})
    await pipe.execute()


async def outputs(r: Redis, stream: str = "out") -> list[int]:
    return [json.loads(f[b"__data__"])["i"] for _, f in await r.xrange(stream)]


async def run_until(r: Redis, s: Settings, echo: Echo, done: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(r, s, [echo.consumer()], stop))

    async def finished() -> bool:
        return len(await outputs(r)) + await r.xlen("candlecast:dlq") >= done

    await until(finished)
    stop.set()
    await task


async def test_batches_worked_out_ahead_land_in_order_once_each(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    await publish(r, [{"i": i} for i in range(200)])
    echo = Echo(r)
    await run_until(r, Settings(redis_url=redis_url, consumer="c", block_ms=20, batch_size=7), echo, 200)
    assert await outputs(r) == list(range(200)), "every entry once, in order"
    assert (await r.xpending("in", "g"))["pending"] == 0
    assert echo.handled == [], "no batch needed the careful path"
    assert len(echo.prepared) >= 200 // 7
    await r.aclose()


async def test_a_commit_that_fails_sends_its_batch_the_careful_way_and_the_rest_flows(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    await r.set("a-string", "in the way")
    docs: list[dict[str, object]] = [{"i": i} for i in range(40)]
    docs[17]["to"] = "a-string"  # its batch's commit fails: WRONGTYPE
    await publish(r, docs)
    echo = Echo(r)
    await run_until(r, Settings(redis_url=redis_url, consumer="c", block_ms=20, batch_size=5), echo, 40)
    assert await outputs(r) == [i for i in range(40) if i != 17]
    letters = [json.loads(f[b"__data__"]) for _, f in await r.xrange("candlecast:dlq")]
    assert len(letters) == 1
    assert "ResponseError" in letters[0]["reason"]
    assert json.loads(letters[0]["payload"])["i"] == 17
    assert any(17 in batch for batch in echo.handled), "the failed batch was settled the careful way"
    assert (await r.xpending("in", "g"))["pending"] == 0
    await r.aclose()


class RunningSum(Echo):
    """Echo with state: each output carries the sum of every `i` so far, checkpointed with it."""

    def __init__(self, r: Redis) -> None:
        super().__init__(r)
        self.total: int | None = None
        self.before_retry: Callable[[], Awaitable[object]] = _nothing

    async def prepare(self, entries: list[Entry]) -> Outbox:
        if self.total is None:
            self.total = int(await self.r.hget("sum", "total") or 0)
        box = Outbox(10_000)
        for e in entries:
            doc = json.loads(e.data)
            self.total += doc["i"]
            box.add_data(
                doc.get("to", "out"), json.dumps({"i": doc["i"], "total": self.total}).encode(), e.id
            )
        box.put_hash("sum", {"total": str(self.total)})
        box.ack("in", "g", [e.id for e in entries])
        self.prepared.append([json.loads(e.data)["i"] for e in entries])
        return box

    async def handle(self, entries: list[Entry]) -> None:
        self.handled.append([json.loads(e.data)["i"] for e in entries])
        once, self.before_retry = self.before_retry, _nothing
        await once()
        try:
            await commit(self.r, await self.prepare(entries))
        except Exception:
            self.reset()
            raise

    def reset(self) -> None:
        self.total = None

    def consumer(self) -> Consumer:
        return Consumer("in", "g", self.handle, on_reset=self.reset, prepare=self.prepare)


async def test_state_worked_out_past_a_failed_commit_is_read_again(redis_url) -> None:
    """The commit in flight fails once (a key in the way, removed before the retry): the batch
    worked out after it must not keep state that counted the failed batch."""
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    await r.set("side", "in the way")
    docs: list[dict[str, object]] = [{"i": i} for i in range(40)]
    docs[17]["to"] = "side"
    await publish(r, docs)
    summing = RunningSum(r)
    summing.before_retry = lambda: r.delete("side")
    await run_until(r, Settings(redis_url=redis_url, consumer="c", block_ms=20, batch_size=5), summing, 39)
    totals = [json.loads(f[b"__data__"])["total"] for _, f in await r.xrange("out")]
    want = [sum(range(i + 1)) for i in range(40) if i != 17]
    assert totals == want, "each total counts every i once"
    assert [json.loads(f[b"__data__"])["total"] for _, f in await r.xrange("side")] == [sum(range(18))]
    assert int(await r.hget("sum", "total")) == sum(range(40))
    assert summing.handled, "the failed batch went the careful way"
    await r.aclose()


async def test_a_slow_prepare_keeps_its_lease_and_no_replica_takes_the_batch(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    await publish(r, [{"i": 0}])
    slow, other = Echo(r), Echo(r)
    quick = slow.prepare

    async def held(entries: list[Entry]) -> Outbox:  # as a predictor waiting for its first model
        await asyncio.sleep(1.5)  # five times the idle limit
        return await quick(entries)

    slow.prepare = held  # type: ignore[method-assign]
    stops, tasks = [], []
    for name, echo in (("slow", slow), ("other", other)):
        s = Settings(redis_url=redis_url, consumer=name, block_ms=20, reclaim_idle_ms=300)
        stops.append(asyncio.Event())
        tasks.append(asyncio.create_task(serve(r, s, [echo.consumer()], stops[-1])))
        await asyncio.sleep(0.1)
    await until(lambda: _outputs_are(r, [0]), timeout=5)
    for stop in stops:
        stop.set()
    await asyncio.gather(*tasks)
    assert other.prepared == []
    assert other.handled == []
    assert await outputs(r) == [0]
    await r.aclose()


async def _outputs_are(r: Redis, want: list[int]) -> bool:
    return await outputs(r) == want


async def test_stop_waits_for_the_commit_in_flight(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    await publish(r, [{"i": i} for i in range(3)])
    echo = Echo(r)
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(r, Settings(redis_url=redis_url, consumer="c", block_ms=20), [echo.consumer()], stop)
    )
    await until(lambda: _true(bool(echo.prepared)))
    stop.set()  # the batch's commit was sent before this returns to the loop
    await task
    assert await outputs(r) == [0, 1, 2]
    assert (await r.xpending("in", "g"))["pending"] == 0
    await r.aclose()


async def _true(value: bool) -> bool:
    return value


async def _nothing() -> None:
    return None


class Peeking(Echo):
    """An Echo that notes, as each batch is worked out, how many entries this consumer holds pending."""

    def __init__(self, r: Redis) -> None:
        super().__init__(r)
        self.held: list[tuple[int, int]] = []  # (batch size, pending to the consumer meanwhile)

    async def prepare(self, entries: list[Entry]) -> Outbox:
        await asyncio.sleep(0.02)  # time for the read sent ahead to be answered
        pending = (await self.r.xpending("in", "g"))["pending"]
        self.held.append((len(entries), pending))
        return await super().prepare(entries)


async def test_a_full_batch_has_the_next_one_read_while_it_is_worked_out(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    await publish(r, [{"i": i} for i in range(50)])
    echo = Peeking(r)
    await run_until(r, Settings(redis_url=redis_url, consumer="c", block_ms=20, batch_size=10), echo, 50)
    assert await outputs(r) == list(range(50)), "every entry once, in order"
    assert (await r.xpending("in", "g"))["pending"] == 0
    size, pending = echo.held[0]
    assert size == 10
    assert pending >= 20, f"the next batch was read ahead of the first: {echo.held}"
    await r.aclose()


async def first_batch_held(
    r: Redis, s: Settings, entries: int
) -> tuple[Peeking, asyncio.Event, asyncio.Task[None]]:
    """`entries` published, a Peeking consumer serving them, its first batch being worked out."""
    await ensure_group(r, "in", "g")
    await publish(r, [{"i": i} for i in range(entries)])
    echo, stop = Peeking(r), asyncio.Event()
    task = asyncio.create_task(serve(r, s, [echo.consumer()], stop))
    await until(lambda: _true(bool(echo.held)))
    return echo, stop, task


async def test_a_short_batch_reads_nothing_ahead(redis_url) -> None:
    r = Redis.from_url(redis_url)
    s = Settings(redis_url=redis_url, consumer="c", block_ms=20, batch_size=10)
    echo, stop, task = await first_batch_held(r, s, 5)
    await publish(r, [{"i": i} for i in range(5, 8)])  # arrives while the first batch is worked out
    await until(lambda: _outputs_are(r, list(range(8))))
    stop.set()
    await task
    assert echo.held[0] == (5, 5), "a batch shorter than batch_size means no backlog: no read ahead"
    await r.aclose()


async def test_entries_read_ahead_when_the_loop_stops_are_taken_over_by_the_next_start(redis_url) -> None:
    r = Redis.from_url(redis_url)
    s = Settings(redis_url=redis_url, consumer="c", block_ms=20, batch_size=10)
    _, stop, task = await first_batch_held(r, s, 30)
    stop.set()  # stops after the first batch: the second, read ahead, is left pending
    await task
    assert (await r.xpending("in", "g"))["pending"] > 0, "entries read ahead stay pending, not acked"
    await run_until(r, s, Echo(r), 30)  # the same consumer name starts again
    assert await outputs(r) == list(range(30)), "nothing lost, nothing doubled"
    assert (await r.xpending("in", "g"))["pending"] == 0
    await r.aclose()
