"""Consuming a stream in a group: claim what is stuck, read what is new, until stopped.

Each consumer runs one loop (`GroupWorker`) and commits each batch's outputs with its
acks in one script (`redis_streams.commit`), so nothing is acked before its work is done:

- set-up: create the group at id 0 (nothing earlier is skipped), take over what this
  consumer and dead consumers of this host left pending;
- every sweep: take over entries idle longer than `reclaim_idle_ms` for any consumer on
  any host; dead-letter an entry delivered `max_deliveries` times; forget consumers gone
  for `consumer_gone_ms` with nothing pending;
- read new entries in batches; while a batch is worked on, its lease is renewed, so no
  other replica takes it over from a slow but live consumer;
- with `Consumer.prepare`, work a batch out while Redis runs the previous batch's commit
  (one commit in flight, landing in order) and, when the batch was full (a backlog),
  the next batch's read (entries it read when the loop stops stay pending, to be re-run);
- Redis down, restarting or refusing us: wait with backoff (one log line), set up again,
  and have the handler read its state from Redis again (a Redis restarted empty has none);
- stop (SIGTERM): finish the batch in hand, or leave it pending, and return.

FastStream 0.7's stream subscriber cannot do this: with `min_idle_time` it only claims
(one entry per call) and never reads new entries, it stops for good on NOGROUP, and its
fetch loop retries with a fixed delay and no way to stop it mid-outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from candlecast.shared.adapters import claims, metrics
from candlecast.shared.adapters.connect import wait_until_up
from candlecast.shared.adapters.redis_problems import redis_problem
from candlecast.shared.adapters.redis_streams import (
    BatchHandler,
    Outbox,
    commit,
    ensure_group,
    reply_rows,
    settle_lag,
)
from candlecast.shared.adapters.retry import Settler, Stopping, transient
from candlecast.shared.adapters.tasks import cancel_and_wait, pause
from candlecast.shared.core.entries import Entry, Origin, entry_from_fields
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast")
SWEEP_ROUNDS = 10  # batches taken over per sweep at most, so new entries are read meanwhile
LAG_CHECK_S = 1.0


Prepare = Callable[[list[Entry]], Awaitable[Outbox]]


@dataclass(frozen=True, slots=True)
class Consumer:
    """One consumer-group subscription of a service."""

    stream: str
    group: str
    handle: BatchHandler
    on_reset: Callable[[], None] | None = None  # set up again after an error: forget state read from Redis
    # With `prepare` (the outbox `handle` would commit), a batch is worked out while Redis still
    # runs the previous batch's commit; `handle` stays the careful path. A consumer with state
    # must drop it in `on_reset`, which is also called when a commit in flight fails.
    prepare: Prepare | None = None


class GroupWorker:
    """The loop of one consumer in one group."""

    def __init__(self, redis: Redis, settings: Settings, consumer: Consumer, stop: asyncio.Event) -> None:
        self.redis, self.settings, self.consumer, self.stop = redis, settings, consumer, stop
        self.me = settings.consumer
        origin = Origin(consumer.stream, consumer.group, consumer.group, settings.dlq_payload_chars)
        handle = metrics.timed(consumer.handle, consumer.stream, consumer.group)
        self.settler = Settler(handle, redis, origin, settings.keys.dlq, settings.maxlen, stop)
        self.handed = metrics.MESSAGES_IN.labels(metrics.stream_label(consumer.stream), consumer.group)
        self.sweep_every_s = max(settings.reclaim_idle_ms / 2_000, 0.1)
        self.set_up_once = False
        self.next_lag_check = 0.0
        self.prepare = (
            None
            if consumer.prepare is None
            else metrics.timed(consumer.prepare, consumer.stream, consumer.group)
        )
        self.in_flight: tuple[list[Entry], asyncio.Task[int]] | None = None  # a batch's commit, sent
        self.ahead: asyncio.Task[list[Entry]] | None = None  # the next batch's read, sent

    async def run(self) -> None:
        ready, next_sweep = False, 0.0
        while not self.stop.is_set():
            try:
                if not ready:
                    await self.setup()
                    ready = True
                if time.monotonic() >= next_sweep:
                    await self.sweep()
                    next_sweep = time.monotonic() + self.sweep_every_s
                entries = await self.read_new()
                if not entries:
                    await self.land()
                    await self.caught_up()
                elif self.prepare is None:
                    await self.settle(entries)
                else:
                    await self.settle_ahead(self.prepare, entries)
            except Stopping:
                break
            except Exception as exc:  # noqa: BLE001 - the loop outlives every error
                ready = False
                await self.drop_in_flight()
                if not await self.recover(exc):
                    break
        await self.drop_in_flight()

    async def setup(self) -> None:
        c = self.consumer
        created = await ensure_group(self.redis, c.stream, c.group)
        if created and self.set_up_once:
            log.warning(
                "group %s on %s was gone (Redis restarted empty?): created it again", c.group, c.stream
            )
        if self.set_up_once and c.on_reset is not None:
            c.on_reset()  # after any outage, state is read again from what Redis has now
        self.set_up_once = True
        await self.take_all(self.me)
        for member in await claims.members(self.redis, c.stream, c.group):
            if member.name != self.me and dead_here(member.name, socket.gethostname()):
                await self.take_all(member.name)
                await claims.forget(self.redis, c.stream, c.group, member.name)
                log.warning("took over from dead consumer %s of %s on %s", member.name, c.group, c.stream)

    async def take_all(self, owner: str) -> None:
        c = self.consumer
        while not self.stop.is_set():
            items = await claims.pending(
                self.redis, c.stream, c.group, self.settings.batch_size, consumer=owner
            )
            if not items:
                return
            log.info("re-running %d entries of %s left pending by %s", len(items), c.stream, owner)
            await self.settle_claimed(items, 0)

    async def sweep(self) -> None:
        c, idle = self.consumer, self.settings.reclaim_idle_ms
        for _ in range(SWEEP_ROUNDS):
            items = await claims.pending(
                self.redis, c.stream, c.group, self.settings.batch_size, idle_ms=idle
            )
            if not items or self.stop.is_set():
                break
            owners = sorted({p.consumer for p in items})
            log.warning(
                "taking over %d entries of %s idle over %d ms (from %s)", len(items), c.stream, idle, owners
            )
            await self.settle_claimed(items, idle)
        for member in await claims.members(self.redis, c.stream, c.group):
            gone = member.idle_ms >= self.settings.consumer_gone_ms
            if member.name != self.me and member.pending == 0 and gone:
                await claims.forget(self.redis, c.stream, c.group, member.name)
                log.info("removed consumer %s of %s: idle %d s", member.name, c.group, member.idle_ms // 1000)

    async def settle_claimed(self, items: list[claims.Pending], min_idle_ms: int) -> None:
        c = self.consumer
        entries, _ = await claims.take(self.redis, c.stream, c.group, self.me, items, min_idle_ms)
        seen = {p.id: p for p in items}
        limit = self.settings.max_deliveries
        for entry in [e for e in entries if seen[e.id].deliveries >= limit]:
            p = seen[entry.id]
            reason = f"delivered {p.deliveries} times without being processed (last to {p.consumer})"
            await self.settler.give_up([entry], reason, deliveries=p.deliveries + 1)
        await self.settle([e for e in entries if seen[e.id].deliveries < limit])

    async def read_new(self) -> list[Entry]:
        if self.ahead is not None:
            ahead, self.ahead = self.ahead, None
            if entries := await ahead:
                return entries
        return await self.read(self.settings.block_ms)

    async def read(self, block_ms: int | None) -> list[Entry]:
        c = self.consumer
        reply = await self.redis.xreadgroup(
            c.group, self.me, {c.stream: ">"}, count=self.settings.batch_size, block=block_ms
        )
        return [entry_from_fields(i, f) for _, rows in reply_rows(reply) for i, f in rows]

    async def caught_up(self) -> None:
        """Nothing new to read: now and then, correct a lag Redis miscounted (`settle_lag`)."""
        if time.monotonic() < self.next_lag_check:
            return
        self.next_lag_check = time.monotonic() + LAG_CHECK_S
        if await settle_lag(self.redis, self.consumer.stream, self.consumer.group):
            c = self.consumer
            log.info("group %s had read all of %s: its lag is 0 again", c.group, c.stream)

    async def settle(self, entries: list[Entry]) -> None:
        """Run the batch while renewing its lease, so no sweep elsewhere takes it from us."""
        if not entries:
            return
        self.handed.inc(len(entries))
        async with self.leased(entries):
            await self.settler(entries)

    @contextlib.asynccontextmanager
    async def leased(self, entries: list[Entry]) -> AsyncIterator[None]:
        """Renew the entries' lease while in the block (a block done sooner starts no task)."""
        every = self.settings.reclaim_idle_ms / 3_000
        leases: list[asyncio.Task[None]] = []
        ids = [e.id for e in entries]
        timer = asyncio.get_running_loop().call_later(
            every, lambda: leases.append(asyncio.create_task(self.renew(ids, every)))
        )
        try:
            yield
        finally:
            timer.cancel()
            await cancel_and_wait(leases)

    async def settle_ahead(self, prepare: Prepare, entries: list[Entry]) -> None:
        """Work the batch out while the previous one's commit runs, then send its commit.

        Commits still land one at a time and in order. If the previous commit failed, that
        batch is settled the careful way (retried, split, dead-lettered), then this one too.
        """
        outbox: Outbox | None = None
        if len(entries) >= self.settings.batch_size and self.ahead is None:
            # a backlog: Redis serves the next read (no wait) while this batch is worked out
            self.ahead = asyncio.create_task(self.read(None))
        try:
            async with self.leased(entries):  # a predictor may hold a batch until a model loads
                outbox = await prepare(entries)
        except Exception as exc:
            if transient(exc):
                raise  # anything else: the careful path below meets it again, and says so
        if not await self.land() or outbox is None:
            await self.settle(entries)
            return
        self.handed.inc(len(entries))
        self.in_flight = (entries, asyncio.create_task(commit(self.redis, outbox)))
        await asyncio.sleep(0)  # the commit is on its way before the next read

    async def land(self) -> bool:
        """Wait for the commit in flight; False if it failed and its batch was settled again."""
        if self.in_flight is None:
            return True
        entries, sent = self.in_flight
        self.in_flight = None
        try:
            await sent
        except Exception as exc:
            if transient(exc):
                raise  # the loop waits for Redis, then re-runs what is pending
            log.warning(
                "commit of %d entries of %s failed (%r): settling them again",
                len(entries),
                self.consumer.stream,
                exc,
            )
            if self.consumer.on_reset is not None:
                self.consumer.on_reset()  # state worked out past the failed batch is read again
            await self.settle(entries)
            return False
        return True

    async def drop_in_flight(self) -> None:
        """Let a commit and a read in flight finish or fail: what is not acked stays pending, to be re-run."""
        if self.ahead is not None:
            ahead, self.ahead = self.ahead, None
            with contextlib.suppress(Exception):  # entries it read stay pending to this consumer
                await ahead
        if self.in_flight is None:
            return
        _, sent = self.in_flight
        self.in_flight = None
        try:
            await sent
        except Exception as exc:  # noqa: BLE001 - its entries are still pending
            log.info("a commit on %s failed as the loop stopped or recovered: %r", self.consumer.stream, exc)

    async def renew(self, ids: list[str], every: float) -> None:
        c = self.consumer
        claimed: list[int | bytes | str | memoryview[int]] = list(ids)
        while True:
            try:  # JUSTID: the idle time restarts, the delivery count stays
                await self.redis.xclaim(c.stream, c.group, self.me, 0, claimed, justid=True)
            except Exception as exc:  # noqa: BLE001 - a missed renewal only risks a takeover
                log.debug("lease renewal on %s failed: %r", c.stream, exc)
            await asyncio.sleep(every)

    async def recover(self, exc: Exception) -> bool:
        """After an error: wait until consuming can go on; False once stop is asked for."""
        if isinstance(exc, ResponseError) and str(exc).startswith(("NOGROUP", "UNBLOCKED")):
            log.warning("%s on %s: setting up again", str(exc).split(" ", 1)[0], self.consumer.stream)
            return True  # set-up creates the group again
        if redis_problem(exc) is None and not transient(exc):
            log.error("consuming %s failed; going on in 1 s", self.consumer.stream, exc_info=exc)
            return await pause(self.stop, 1.0)
        try:
            return await wait_until_up(self.redis, self.settings.url, self.stop, log)
        except Exception:  # a ping that failed some other way: try again soon
            log.exception("waiting for Redis failed; going on in 1 s")
            return await pause(self.stop, 1.0)


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


async def serve(
    redis: Redis, settings: Settings, consumers: Sequence[Consumer], stop: asyncio.Event | None = None
) -> None:
    """Consume until `stop` is set; then let each loop finish its batch for up to `grace_s`."""
    stop = stop or asyncio.Event()
    workers = [GroupWorker(redis, settings, c, stop) for c in consumers]
    tasks = {
        asyncio.create_task(w.run(), name=f"consume {c.stream}")
        for w, c in zip(workers, consumers, strict=True)
    }
    stopped = asyncio.create_task(stop.wait())
    groups = [(c.stream, c.group) for c in consumers]
    served = settings.http_port is not None  # pending and lag are read only where they are served
    gauges = [asyncio.create_task(metrics.watch_groups(redis, groups, stop))] if served else []
    try:
        await asyncio.wait({*tasks, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():
            await asyncio.wait(tasks, timeout=settings.grace_s * 0.8)
    finally:
        await cancel_and_wait([*tasks, stopped, *gauges])
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
