"""The streams edge on a real Redis: groups from 0, atomic and idempotent commit, JSON wire format."""

from __future__ import annotations

import json

import pytest
import redis as sync_redis
from faststream.redis import RedisBroker
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from candlecast.shared.adapters.faststream_format import JsonFormat
from candlecast.shared.adapters.redis_streams import (
    SAME,
    Outbox,
    commit,
    commit_args,
    ensure_group,
    last_id,
    settle_lag,
)
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


async def test_a_batch_committed_twice_writes_its_sourced_outputs_once(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    ids = [(await r.xadd("in", {"__data__": b"{}"})).decode() for _ in range(3)]
    await r.xreadgroup("g", "c", {"in": ">"})
    box = Outbox(maxlen=1000)
    for i in ids:
        box.add_data("out", f'{{"from": "{i}"}}'.encode(), source=i)
    box.add_data("log", b"{}")  # no source: written by every commit
    box.ack("in", "g", ids)
    assert await commit(r, box) == 0
    assert await commit(r, box) == 3  # a retry after a lost reply: its rows were acked already
    assert await r.xlen("out") == 3
    assert await r.xlen("log") == 2
    await r.aclose()


async def test_only_rows_whose_entry_is_still_pending_are_written(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    ids = [(await r.xadd("in", {"__data__": b"{}"})).decode() for _ in range(3)]
    await r.xreadgroup("g", "c", {"in": ">"})
    await r.xack("in", "g", ids[1])  # another replica took it over and committed it
    box = Outbox(maxlen=1000)
    for i in ids:
        box.add_data("out", f'"{i}"'.encode(), source=i)
    box.ack("in", "g", ids)
    assert await commit(r, box) == 1
    assert [json.loads(f[b"__data__"]) for _, f in await r.xrange("out")] == [ids[0], ids[2]]
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


async def test_streams_are_type_checked_once_each_and_a_late_wrong_one_stops_the_commit(
    redis_url,
) -> None:
    r = Redis.from_url(redis_url)
    await r.set("a-string", "x")
    box = Outbox(maxlen=1000)
    for k in range(3):
        box.add_data("out", b'{"k": %d}' % k)
    box.add_data("a-string", b'{"k": 3}')  # the fourth add's key is the wrong type
    box.add_data("out", b'{"k": 4}')
    with pytest.raises(ResponseError, match="WRONGTYPE a-string"):
        await commit(r, box)
    assert await r.xlen("out") == 0
    await r.aclose()


async def test_a_lag_miscounted_on_a_group_that_read_everything_is_set_to_zero(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "done")
    await ensure_group(r, "in", "behind")
    ids = [(await r.xadd("in", {"__data__": b"{}"})).decode() for _ in range(5)]
    await r.xreadgroup("done", "c", {"in": ">"})
    await r.xreadgroup("behind", "c", {"in": ">"}, count=3)
    # what Redis 7 reported after an AOF reload: the last id read, but entries-read short
    await r.xgroup_setid("in", "done", ids[-1], entries_read=2)
    lags = {g["name"].decode(): g["lag"] for g in await r.xinfo_groups("in")}
    assert lags == {"done": 3, "behind": 2}
    assert await settle_lag(r, "in", "done")
    assert not await settle_lag(r, "in", "behind"), "a group with entries left to read keeps its lag"
    lags = {g["name"].decode(): g["lag"] for g in await r.xinfo_groups("in")}
    assert lags == {"done": 0, "behind": 2}
    assert not await settle_lag(r, "in", "done"), "nothing to fix twice"
    await r.aclose()


async def test_a_document_added_to_two_streams_is_sent_once_and_written_to_both(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    ids = [(await r.xadd("in", {"__data__": b"{}"})).decode() for _ in range(2)]
    await r.xreadgroup("g", "c", {"in": ">"})
    box = Outbox(maxlen=1000)
    for i in ids:
        data = f'{{"from": "{i}"}}'.encode()
        box.add_data("all", data, source=i)
        box.add_data(f"one:{i}", data, source=i)  # the same bytes object: '=' in the script's ARGV
    box.ack("in", "g", ids)
    _, argv = commit_args(box)
    assert argv.count(SAME) == 2
    await commit(r, box)
    assert [f[b"__data__"] for _, f in await r.xrange("all")] == [f'{{"from": "{i}"}}'.encode() for i in ids]
    for i in ids:
        assert [f[b"__data__"] for _, f in await r.xrange(f"one:{i}")] == [f'{{"from": "{i}"}}'.encode()]
    await r.aclose()


async def test_each_stream_written_is_trimmed_to_about_maxlen(redis_url) -> None:
    r = Redis.from_url(redis_url)
    box = Outbox(maxlen=1000)
    for k in range(5_000):
        box.add_data("out", b'{"k": %d}' % k)
    await commit(r, box)
    assert 1000 <= await r.xlen("out") < 1500, "approximate MAXLEN, applied once after the adds"
    await r.aclose()


async def test_acks_among_other_consumers_pending_entries_skip_exactly_the_acked_ones(redis_url) -> None:
    """Our ids interleave with another consumer's pending ones (the range check falls back to
    one XACK per id when they crowd it); only entries still pending get their outputs."""
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    ids = [(await r.xadd("in", {"__data__": b"{}"})).decode() for _ in range(400)]
    await r.xreadgroup("g", "other", {"in": ">"})  # everything pending for "other" first
    mine = ids[::50]  # 8 ids spread over a range where 400 entries are pending
    await r.xclaim("in", "g", "me", 0, mine)
    await r.xack("in", "g", mine[0])  # one of them was acked already (e.g. by an earlier commit)
    box = Outbox(maxlen=1000)
    for i in mine:
        box.add_data("out", f'{{"from": "{i}"}}'.encode(), source=i)
    box.ack("in", "g", mine)
    assert await commit(r, box) == 1, "only the entry acked before is skipped"
    assert [json.loads(f[b"__data__"])["from"] for _, f in await r.xrange("out")] == mine[1:]
    pending = await r.xpending("in", "g")
    assert pending["pending"] == 400 - len(mine), "the other consumer's entries stay pending"
    await r.aclose()


async def test_acks_beside_a_few_entries_of_another_consumer_leave_those_pending(redis_url) -> None:
    r = Redis.from_url(redis_url)
    await ensure_group(r, "in", "g")
    ids = [(await r.xadd("in", {"__data__": b"{}"})).decode() for _ in range(10)]
    await r.xreadgroup("g", "other", {"in": ">"})
    mine = [i for k, i in enumerate(ids) if k % 3]  # 6 of ours, 4 of other's pending in between
    await r.xclaim("in", "g", "me", 0, mine)
    box = Outbox(maxlen=1000)
    for i in mine:
        box.add_data("out", b"{}", source=i)
    box.ack("in", "g", list(reversed(mine)))  # any order: the commit sorts them for the range
    assert await commit(r, box) == 0
    assert await r.xlen("out") == len(mine)
    left = await r.xpending_range("in", "g", "-", "+", 100)
    assert [p["message_id"].decode() for p in left] == [i for k, i in enumerate(ids) if k % 3 == 0]
    await r.aclose()
