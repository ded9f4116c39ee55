"""The features worker's handler against a real Redis: rows, checkpoints, acks, dead letters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from redis.asyncio import Redis

from candlecast.features.settings import FeaturesSettings
from candlecast.features.worker import FeaturesWorker
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.entries import Entry, entry_from_fields
from candlecast.shared.core.features import DEFAULT, SEED, compute, warmup_bars
from candlecast.shared.core.messages import FEATURES_SCHEMA_VERSION

pytestmark = pytest.mark.redis

START = 1_735_689_600_000


def settings(url: str, tmp_path) -> FeaturesSettings:
    return FeaturesSettings(redis_url=url, home=tmp_path, consumer="w1", batch_size=500)


async def add_bars(redis: Redis, stream: str, bars: list[bytes]) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        for data in bars:
            pipe.xadd(stream, {"__data__": data})
        await pipe.execute()


async def read_group(redis: Redis, s: FeaturesSettings, count: int = 10_000) -> list[Entry]:
    reply = await redis.xreadgroup(s.group, s.consumer, {s.keys.bars: ">"}, count=count)
    return [entry_from_fields(i, f) for i, f in reply[0][1]] if reply else []


async def rows_of(redis: Redis, stream: str) -> list[dict]:
    return [json.loads(f[b"__data__"]) for _, f in await redis.xrange(stream)]


def market(n: int) -> Bars:
    return synthetic_bars(["AAA"], "5m", START, n, seed=11)[0]


def as_json(bars: Bars) -> list[bytes]:
    return [m.model_dump_json().encode() for m in bars.to_messages()]


async def test_rows_match_batch_and_restart_resumes_from_checkpoint(redis_url, tmp_path) -> None:
    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    bars = market(warmup_bars(DEFAULT) + 300)
    half = len(bars) // 2 + 17
    await add_bars(redis, s.keys.bars, as_json(bars.take(slice(0, half))))
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))
    # A new process: state comes back from the Redis checkpoint, not from memory.
    await add_bars(redis, s.keys.bars, as_json(bars.take(slice(half, None))))
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))

    rows = await rows_of(redis, s.keys.features)
    expected = compute(bars, DEFAULT)
    assert [r["ts"] for r in rows] == expected.ts.tolist()
    got = np.array([r["values"] for r in rows])  # an array in the feature set's order
    assert np.array_equal(got, expected.values), "online service rows must equal the batch engine exactly"
    assert {r["schema_version"] for r in rows} == {FEATURES_SCHEMA_VERSION}
    assert all(r["feature_set"]["hash"] == DEFAULT.hash for r in rows)
    assert (await redis.xpending(s.keys.bars, s.group))["pending"] == 0
    await redis.aclose()


@pytest.mark.parametrize("feature_set", [DEFAULT, SEED], ids=lambda f: f.name)
async def test_the_first_batch_publishes_the_names_in_the_order_of_the_values(
    redis_url, tmp_path, feature_set
) -> None:
    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    assert await redis.hget(s.keys.feature_sets, feature_set.hash) is None
    bars = market(warmup_bars(feature_set) + 40)
    await add_bars(redis, s.keys.bars, as_json(bars))
    await FeaturesWorker(redis, s, feature_set).handle(await read_group(redis, s))

    published = json.loads(await redis.hget(s.keys.feature_sets, feature_set.hash))
    assert published == {
        "name": feature_set.name, "version": feature_set.version, "hash": feature_set.hash,
        "names": list(feature_set.names),
    }  # fmt: skip
    assert await redis.hkeys(s.keys.feature_sets) == [feature_set.hash.encode()]
    rows = await rows_of(redis, s.keys.features)
    expected = compute(bars, feature_set)
    assert len(rows) == len(expected) > 0
    for row, values in zip(rows, expected.values.tolist(), strict=True):
        assert row["feature_set"] == {"name": feature_set.name, "version": 1, "hash": feature_set.hash}
        by_name = dict(zip(published["names"], row["values"], strict=True))  # what a plain-JSON reader does
        assert by_name == dict(zip(expected.names, values, strict=True))
        assert row["values"] == values, "by position, exactly"

    more = synthetic_bars(["AAA"], "5m", START, len(bars) + 4, seed=11)[0].take(slice(len(bars), None))
    await redis.delete(s.keys.feature_sets)
    worker = FeaturesWorker(redis, s, feature_set)
    await add_bars(redis, s.keys.bars, as_json(more.take(slice(0, 2))))
    await worker.handle(await read_group(redis, s))
    again = await redis.hget(s.keys.feature_sets, feature_set.hash)
    assert json.loads(again) == published, "a new worker publishes them again"
    await redis.delete(s.keys.feature_sets)
    await add_bars(redis, s.keys.bars, as_json(more.take(slice(2, None))))
    await worker.handle(await read_group(redis, s))
    assert await redis.exists(s.keys.feature_sets) == 0, "once per start, not with every batch"
    assert len(await rows_of(redis, s.keys.features)) == len(expected) + 4
    await redis.aclose()


async def test_redelivered_batch_is_skipped_not_duplicated(redis_url, tmp_path) -> None:
    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    await add_bars(redis, s.keys.bars, as_json(market(warmup_bars(DEFAULT) + 50)))
    entries = await read_group(redis, s)
    await FeaturesWorker(redis, s, DEFAULT).handle(entries)
    before = await redis.xlen(s.keys.features)
    await FeaturesWorker(redis, s, DEFAULT).handle(entries)  # as after a crash before the ack was seen
    assert await redis.xlen(s.keys.features) == before == 51
    assert await redis.xlen(s.keys.dlq) == 0
    await redis.aclose()


async def test_bad_bars_are_dead_lettered_with_reasons_and_the_rest_flow(redis_url, tmp_path) -> None:
    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    good = as_json(market(warmup_bars(DEFAULT) + 10))
    bad_price = json.loads(good[5])
    bad_price["low"] = bad_price["high"] * 2
    stale = json.loads(good[3])
    payloads = [
        *good[:-1],
        b"{not json",
        json.dumps(bad_price).encode(),
        b'{"symbol":"AAA"}',
        json.dumps(stale).encode(),
    ]
    await add_bars(redis, s.keys.bars, [*payloads, good[-1]])
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))

    dead = await rows_of(redis, s.keys.dlq)
    reasons = [d["reason"] for d in dead]
    assert len(dead) == 4
    assert reasons[0].startswith("malformed JSON")
    assert "low <= min(open, close)" in reasons[1]
    assert reasons[2].startswith("schema check failed")
    assert reasons[3].startswith("out-of-order bar")
    assert all(d["stream"] == s.keys.bars and d["group"] == s.group for d in dead)
    assert await redis.xlen(s.keys.features) == 11, "the good bars, including the one after the bad ones"
    assert (await redis.xpending(s.keys.bars, s.group))["pending"] == 0
    await redis.aclose()


async def test_partitions_split_symbols_between_workers(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    series = synthetic_bars([f"S{i}" for i in range(8)], "5m", START, warmup_bars(DEFAULT), seed=2)
    owners: dict[str, int] = {}
    for p in range(2):
        s = FeaturesSettings(redis_url=redis_url, home=tmp_path, consumer=f"w{p}", partitions=2, partition=p)
        await ensure_group(redis, s.keys.bars, s.group)
    await add_bars(redis, s.keys.bars, [m for b in series for m in as_json(b)])
    for p in range(2):
        s = FeaturesSettings(redis_url=redis_url, home=tmp_path, consumer=f"w{p}", partitions=2, partition=p)
        before = {r["symbol"] for r in await rows_of(redis, s.keys.features)}
        await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))
        for symbol in {r["symbol"] for r in await rows_of(redis, s.keys.features)} - before:
            owners[symbol] = p
    assert sorted(owners) == [f"S{i}" for i in range(8)], "every symbol computed exactly once"
    assert set(owners.values()) == {0, 1}
    assert await redis.xlen(s.keys.features) == 8
    await redis.aclose()


async def test_checkpoint_of_another_feature_set_restarts_warmup(redis_url, tmp_path) -> None:
    from candlecast.shared.core.features import SEED

    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    bars = market(warmup_bars(DEFAULT) + 20)
    await add_bars(redis, s.keys.bars, as_json(bars.take(slice(0, 100))))
    await FeaturesWorker(redis, s, SEED).handle(await read_group(redis, s))  # the old deployment
    await add_bars(redis, s.keys.bars, as_json(bars.take(slice(100, None))))
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))
    core_rows = [r for r in await rows_of(redis, s.keys.features) if r["feature_set"]["name"] == DEFAULT.name]
    assert core_rows == [], "a fresh CORE state sees only the later bars: still warming up"
    assert (await redis.xpending(s.keys.bars, s.group))["pending"] == 0
    await redis.aclose()


async def test_failed_commit_rolls_state_back_so_the_retry_loses_nothing(redis_url, tmp_path) -> None:
    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    bars = market(warmup_bars(DEFAULT) + 60)
    await add_bars(redis, s.keys.bars, as_json(bars.take(slice(0, 250))))
    worker = FeaturesWorker(redis, s, DEFAULT)
    await worker.handle(await read_group(redis, s))
    await add_bars(redis, s.keys.bars, as_json(bars.take(slice(250, None))))
    batch = await read_group(redis, s)
    await redis.delete(s.keys.features)
    await redis.set(s.keys.features, "in the way")  # the commit fails: WRONGTYPE
    with pytest.raises(Exception, match="WRONGTYPE"):
        await worker.handle(batch)
    await redis.delete(s.keys.features)
    await worker.handle(batch)  # the retry, same process
    rows = await rows_of(redis, s.keys.features)
    assert [r["ts"] for r in rows] == compute(bars, DEFAULT).ts.tolist()[-(len(bars) - 250) :]
    assert (await redis.xpending(s.keys.bars, s.group))["pending"] == 0
    await redis.aclose()


async def test_out_of_range_fields_are_dead_lettered_not_crashes(redis_url, tmp_path) -> None:
    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    good = json.loads(as_json(market(3))[0])
    await add_bars(
        redis,
        s.keys.bars,
        [
            json.dumps({**good, "ts": 2**63}).encode(),
            json.dumps({**good, "timeframe": "99999999999999999999m"}).encode(),
        ],
    )
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))
    reasons = [d["reason"] for d in await rows_of(redis, s.keys.dlq)]
    assert len(reasons) == 2
    assert all(r.startswith("schema check failed") for r in reasons)
    await redis.aclose()


async def test_future_and_wrong_unit_bars_are_dead_lettered_and_the_series_goes_on(
    redis_url, tmp_path
) -> None:
    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    good = as_json(market(warmup_bars(DEFAULT) + 40))
    ts = json.loads(good[20])["ts"]
    wrong = [
        json.dumps({**json.loads(good[20]), "ts": 4_102_444_800_000}).encode(),  # 2100-01-01
        json.dumps({**json.loads(good[20]), "ts": ts // 1000}).encode(),  # seconds
        json.dumps({**json.loads(good[20]), "ts": ts * 1000}).encode(),  # microseconds
    ]
    await add_bars(redis, s.keys.bars, [*good[:20], *wrong, *good[20:]])
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))

    reasons = [d["reason"] for d in await rows_of(redis, s.keys.dlq)]
    assert len(reasons) == 3
    assert reasons[0].startswith("bar from the future")
    assert "looks like seconds" in reasons[1]
    assert "looks like microseconds" in reasons[2]
    rows = await rows_of(redis, s.keys.features)
    assert [r["ts"] for r in rows] == [json.loads(g)["ts"] for g in good[-len(rows) :]]
    assert len(rows) == 41, "every real bar after the bad ones got its feature row"
    await redis.aclose()


async def test_exact_duplicates_are_counted_and_conflicting_ones_dead_lettered(redis_url, tmp_path) -> None:
    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    good = as_json(market(warmup_bars(DEFAULT) + 5))
    await add_bars(redis, s.keys.bars, good)
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))
    conflicting = json.dumps({**json.loads(good[-2]), "volume": 123456.0}).encode()
    await add_bars(redis, s.keys.bars, [good[-1], good[-3], conflicting])  # published again
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))  # a restarted worker

    dead = await rows_of(redis, s.keys.dlq)
    assert [d["reason"].split(":")[0] for d in dead] == ["conflicting duplicate"]
    assert await redis.xlen(s.keys.features) == 6, "no row twice"
    state = await redis.hget(s.keys.feature_state("AAA", "5m"), "duplicates")
    assert state == b"2"
    assert (await redis.xpending(s.keys.bars, s.group))["pending"] == 0
    await redis.aclose()


async def test_a_reset_order_on_bars_restarts_the_series_in_order(redis_url, tmp_path, capsys) -> None:
    from candlecast.cli.ops.features import reset_series

    s = settings(redis_url, tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, s.group)
    bars = market(warmup_bars(DEFAULT) + 30)
    await add_bars(redis, s.keys.bars, as_json(bars))
    await reset_series(s, "AAA", "5m")  # as `candlecast features reset AAA --timeframe 5m`
    assert "reset order for AAA 5m" in capsys.readouterr().out
    again = bars.take(slice(10, None))  # older than the series' last bar: accepted only after the reset
    await add_bars(redis, s.keys.bars, as_json(again))
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))

    rows = await rows_of(redis, s.keys.features)
    first, second = rows[:31], rows[31:]
    assert [r["ts"] for r in first] == compute(bars, DEFAULT).ts.tolist()
    assert [r["ts"] for r in second] == compute(again, DEFAULT).ts.tolist(), "warmed up afresh"
    assert await redis.xlen(s.keys.dlq) == 0, "the order is not a dead letter"
    assert (await redis.xpending(s.keys.bars, s.group))["pending"] == 0
    await redis.aclose()
