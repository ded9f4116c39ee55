"""The features checkpoint: snapshots now and then, a journal in between, exact across restarts."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import orjson
import pytest
from redis.asyncio import Redis

from candlecast.features.settings import FeaturesSettings
from candlecast.features.worker import FeaturesWorker
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.entries import Entry, entry_from_fields
from candlecast.shared.core.features import DEFAULT, compute, warmup_bars

pytestmark = pytest.mark.redis

START = 1_735_689_600_000
SYMBOLS = ("AAA", "BBB")


def settings(url: str, tmp_path, every: int) -> FeaturesSettings:
    return FeaturesSettings(redis_url=url, home=tmp_path, consumer="w1", checkpoint_bars=every)


async def started(url: str, tmp_path, every: int) -> tuple[FeaturesSettings, Redis]:
    """Settings with a snapshot every `every` bars, a client, and the features group on `bars`."""
    s = settings(url, tmp_path, every)
    redis = Redis.from_url(url)
    await ensure_group(redis, s.keys.bars, s.group)
    return s, redis


async def publish(redis: Redis, stream: str, payloads: list[bytes]) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        for data in payloads:
            pipe.xadd(stream, {"__data__": data})
        await pipe.execute()


async def read_group(redis: Redis, s: FeaturesSettings) -> list[Entry]:
    reply = await redis.xreadgroup(s.group, s.consumer, {s.keys.bars: ">"}, count=100_000)
    return [entry_from_fields(i, f) for i, f in reply[0][1]] if reply else []


@pytest.mark.parametrize("every", [1, 7, 256])
async def test_restarts_between_any_batches_give_the_batch_engines_rows(redis_url, tmp_path, every) -> None:
    """A new worker (a restart) for every batch of uneven size: rows equal the batch engine's, bit for bit."""
    s, redis = await started(redis_url, tmp_path, every)
    series = synthetic_bars(list(SYMBOLS), "5m", START, warmup_bars(DEFAULT) + 120, seed=3)
    messages = [m for b in series for m in b.to_messages()]
    messages.sort(key=lambda m: (m.ts, m.symbol))
    cuts = [0, 5, 6, 90, 91, 300, 301, 333, 420, 500, len(messages)]
    for lo, hi in pairwise(cuts):
        await publish(redis, s.keys.bars, [m.model_dump_json().encode() for m in messages[lo:hi]])
        await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))
    await assert_engine_rows(redis, s, series)
    await redis.aclose()


async def test_one_bar_per_series_per_batch_gives_the_batch_engines_rows_across_a_restart(
    redis_url, tmp_path
) -> None:
    """Live-shaped batches (one bar of each of five series), with a restart from snapshot plus journal."""
    s, redis = await started(redis_url, tmp_path, 40)
    n = warmup_bars(DEFAULT) + 60
    series = synthetic_bars(["AAA", "BBB", "CCC", "DDD", "EEE"], "5m", START, n, seed=8)
    worker = FeaturesWorker(redis, s, DEFAULT)
    for i in range(n):
        if i == n - 25:
            worker = FeaturesWorker(redis, s, DEFAULT)  # a restart: snapshot plus journal
        await publish(redis, s.keys.bars, [b.to_messages()[i].model_dump_json().encode() for b in series])
        await worker.handle(await read_group(redis, s))
    await assert_engine_rows(redis, s, series)
    assert await redis.xlen(s.keys.dlq) == 0
    await redis.aclose()


async def assert_engine_rows(redis: Redis, s: FeaturesSettings, series: list[Bars]) -> None:
    """The rows on `features` are the batch engine's, bit for bit, each with its bar's close."""
    rows = [orjson.loads(f[b"__data__"]) for _, f in await redis.xrange(s.keys.features)]
    for bars in series:
        mine = [r for r in rows if r["symbol"] == bars.symbol]
        expected = compute(bars, DEFAULT)
        assert [r["ts"] for r in mine] == expected.ts.tolist()
        assert np.array_equal(np.array([r["values"] for r in mine]), expected.values)
        assert [r["close"] for r in mine] == bars.close[-len(expected) :].tolist()


async def test_the_journal_holds_the_bars_since_the_snapshot_and_is_cleared_by_the_next(
    redis_url, tmp_path
) -> None:
    s, redis = await started(redis_url, tmp_path, 10)
    bars = synthetic_bars(["AAA"], "5m", START, 25, seed=3)[0].to_messages()
    worker = FeaturesWorker(redis, s, DEFAULT)
    state, journal = s.keys.feature_state("AAA", "5m"), s.keys.feature_journal("AAA", "5m")
    sizes = []
    for lo, hi in [(0, 4), (4, 9), (9, 12), (12, 25)]:
        await publish(redis, s.keys.bars, [m.model_dump_json().encode() for m in bars[lo:hi]])
        await worker.handle(await read_group(redis, s))
        sizes.append((await redis.strlen(journal) // 48, await redis.hexists(state, "state")))
    # 4 and 9 bars journaled, no snapshot; then 12 >= 10: snapshot, journal gone; then 13 more: snapshot
    assert sizes == [(4, False), (9, False), (0, True), (0, True)]
    await redis.aclose()


async def test_a_checkpoint_costs_less_than_its_rows(redis_url, tmp_path) -> None:
    """Bytes written per bar for the checkpoint (snapshots + journal) stay below a row's bytes."""
    s, redis = await started(redis_url, tmp_path, 256)
    bars = synthetic_bars(["AAA"], "5m", START, warmup_bars(DEFAULT) + 600, seed=3)[0].to_messages()
    worker = FeaturesWorker(redis, s, DEFAULT)
    written = 0
    state, journal = s.keys.feature_state("AAA", "5m"), s.keys.feature_journal("AAA", "5m")
    for lo in range(0, len(bars), 1):  # live: one bar per batch, the worst case for a checkpoint
        await publish(redis, s.keys.bars, [bars[lo].model_dump_json().encode()])
        before = await redis.strlen(journal)
        await worker.handle(await read_group(redis, s))
        after = await redis.strlen(journal)
        snapshot = after < before + 48
        written += len(await redis.hget(state, "state") or b"") if snapshot else after - before
    row_bytes = np.mean([len(f[b"__data__"]) for _, f in await redis.xrange(s.keys.features)])
    assert written / len(bars) < row_bytes / 2, (written / len(bars), row_bytes)
    await redis.aclose()


async def test_after_a_restart_the_journal_still_tells_a_duplicate_from_a_conflict(
    redis_url, tmp_path
) -> None:
    """Bars known only from the journal (no snapshot since) fill the restarted worker's duplicate window."""
    s, redis = await started(redis_url, tmp_path, 256)
    bars = synthetic_bars(["AAA"], "5m", START, 30, seed=3)[0].to_messages()
    await publish(redis, s.keys.bars, [m.model_dump_json().encode() for m in bars])
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))
    assert not await redis.hexists(s.keys.feature_state("AAA", "5m"), "state"), "journal only"
    again, conflict = bars[-3], bars[-2].model_copy(update={"volume": bars[-2].volume + 1})
    await publish(redis, s.keys.bars, [again.model_dump_json().encode(), conflict.model_dump_json().encode()])
    await FeaturesWorker(redis, s, DEFAULT).handle(await read_group(redis, s))  # a restarted worker
    assert await redis.hget(s.keys.feature_state("AAA", "5m"), "duplicates") == b"1"
    (letter,) = [orjson.loads(f[b"__data__"]) for _, f in await redis.xrange(s.keys.dlq)]
    assert letter["reason"].startswith("conflicting duplicate"), letter["reason"]
    await redis.aclose()
