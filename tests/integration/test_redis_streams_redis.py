"""The streams edge on a real Redis: groups from 0, atomic commit, pending drain, JSON wire format."""

from __future__ import annotations

import json

import pytest
import redis as sync_redis
from faststream.redis import RedisBroker
from redis.asyncio import Redis

from candlecast.shared.adapters.redis_streams import Outbox, commit, drain_pending, ensure_group, last_id
from candlecast.shared.adapters.wire import JsonFormat
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.messages import RetrainModel

pytestmark = pytest.mark.redis


async def test_group_created_at_zero_sees_earlier_messages(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await r.xadd("s", {"__data__": b"{}"})
    await ensure_group(r, "s", "g")
    await ensure_group(r, "s", "g")  # idempotent
    reply = await r.xreadgroup("g", "c", {"s": ">"})
    assert len(reply[0][1]) == 1
    await r.aclose()


async def test_commit_writes_and_acks_in_one_transaction(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    ids = [(await r.xadd("in", {"__data__": b"{}"})).decode() for _ in range(3)]
    await r.xreadgroup("g", "c", {"in": ">"})
    box = Outbox(maxlen=1000)
    box.add("out", RetrainModel(request_id="x"))
    box.put_hash("h", {"state": b"\x00\x01", "entry_id": ids[-1]})
    box.ack("in", "g", ids)
    await commit(r, box)
    assert (await r.xpending("in", "g"))["pending"] == 0
    assert json.loads((await r.xrange("out"))[0][1][b"__data__"])["request_id"] == "x"
    assert await r.hget("h", "state") == b"\x00\x01"
    await r.aclose()


async def test_drain_reruns_only_this_consumers_pending_entries(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    for i in range(5):
        await r.xadd("in", {"__data__": json.dumps({"i": i}).encode()})
    await r.xreadgroup("g", "crashed", {"in": ">"}, count=3)  # read, never acked
    await r.xreadgroup("g", "other", {"in": ">"}, count=2)
    seen: list[Entry] = []

    async def handle(entries: list[Entry]) -> None:
        seen.extend(entries)
        await r.xack("in", "g", *[e.id for e in entries])

    assert await drain_pending(r, "in", "g", "crashed", handle, count=2) == 3
    assert [json.loads(e.data)["i"] for e in seen] == [0, 1, 2]
    assert (await r.xpending("in", "g"))["pending"] == 2  # the other consumer's
    await r.aclose()


async def test_faststream_publishes_plain_json_any_client_reads(redis_url) -> None:
    broker = RedisBroker(redis_url, message_format=JsonFormat)
    async with broker:
        await broker.publish(RetrainModel(request_id="abc", horizon=2), stream="cmds")
    r = sync_redis.Redis.from_url(redis_url)
    fields = r.xrange("cmds")[0][1]
    assert list(fields) == [b"__data__"]
    assert json.loads(fields[b"__data__"])["horizon"] == 2
    assert r.xlen("empty") == 0
    r.close()
    ar = Redis.from_url(redis_url)
    assert await last_id(ar, "empty") == "0-0"
    await ar.aclose()


async def test_prepare_takes_over_dead_local_consumers_but_not_live_ones(redis_url) -> None:
    import os
    import socket
    import subprocess
    import sys

    from candlecast.shared.adapters.runner import Consumer, consumer_names, prepare
    from candlecast.shared.settings import Settings

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    dead, live = f"{host}-{gone.pid}", f"{host}-{os.getpid()}"
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    for i in range(5):
        await r.xadd("in", {"__data__": json.dumps({"i": i}).encode()})
    await r.xreadgroup("g", dead, {"in": ">"}, count=3)  # crashed mid-batch
    await r.xreadgroup("g", live, {"in": ">"}, count=2)  # still working
    seen: list[int] = []

    async def handle(entries: list[Entry]) -> None:
        seen.extend(json.loads(e.data)["i"] for e in entries)
        await r.xack("in", "g", *[e.id for e in entries])

    await prepare(r, Settings(redis_url=redis_url, consumer=f"{host}-new"), [Consumer("in", "g", handle)])
    assert seen == [0, 1, 2]
    assert dead not in await consumer_names(r, "in", "g")
    pending = await r.xpending("in", "g")
    assert pending["pending"] == 2
    assert [c["name"].decode() for c in pending["consumers"]] == [live]
    await r.aclose()


async def test_commit_writes_nothing_when_a_key_or_group_is_wrong(redis_url) -> None:
    from redis.exceptions import ResponseError

    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    entry_id = (await r.xadd("in", {"__data__": b"{}"})).decode()
    await r.xreadgroup("g", "c", {"in": ">"})
    await r.set("not-a-hash", "x")
    box = Outbox(maxlen=1000)
    box.add("out", RetrainModel(request_id="x"))
    box.put_hash("not-a-hash", {"state": b"1"})
    box.ack("in", "g", [entry_id])
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await commit(r, box)
    missing_group = Outbox(maxlen=1000)
    missing_group.add("out", RetrainModel(request_id="y"))
    missing_group.ack("in", "no-such-group", [entry_id])
    with pytest.raises(ResponseError, match="NOGROUP"):
        await commit(r, missing_group)
    assert await r.xlen("out") == 0, "nothing written when any part would fail"
    assert (await r.xpending("in", "g"))["pending"] == 1
    await r.aclose()
