"""The recorder against a real Redis: bars anyone publishes land in the bar store, once."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from redis.asyncio import Redis

from candlecast.ingest.publish import publish_bars, record, time_ordered
from candlecast.ingest.recorder import Recorder, record_stream
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.core.constants import GROUP_RECORDER
from candlecast.shared.core.entries import Entry, entry_from_fields
from candlecast.shared.settings import Settings
from tests.support.streams import handle_delivered

pytestmark = pytest.mark.redis

START = 1_735_689_600_000
README_BAR = (
    '{"symbol":"BTCUSDT","timeframe":"5m","ts":1735689600000,"open":93500.1,"high":93610.0,'
    '"low":93420.5,"close":93580.2,"volume":12.7}'
)


async def read_group(redis: Redis, s: Settings) -> list[Entry]:
    reply = await redis.xreadgroup(GROUP_RECORDER, "r1", {s.keys.bars: ">"}, count=10_000)
    return [entry_from_fields(i, f) for i, f in reply[0][1]] if reply else []


async def test_bars_published_with_redis_cli_are_recorded_and_bad_ones_skipped(redis_url, tmp_path) -> None:
    s = Settings(redis_url=redis_url, home=tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, GROUP_RECORDER)
    later = json.dumps({**json.loads(README_BAR), "ts": START + 300_000, "close": 93600.0}).encode()
    future = json.dumps({**json.loads(README_BAR), "ts": 4_102_444_800_000}).encode()
    seconds = json.dumps({**json.loads(README_BAR), "ts": START // 1000}).encode()
    for data in (README_BAR.encode(), b"{not json", future, seconds, later):
        await redis.xadd(s.keys.bars, {"__data__": data})  # the fields redis-cli XADD writes
    recorder = Recorder(redis, BarStore(tmp_path), s)
    await recorder.handle(await read_group(redis, s))

    stored = BarStore(tmp_path).read("BTCUSDT", "5m")
    assert stored.ts.tolist() == [START, START + 300_000]
    assert stored.close.tolist() == [93580.2, 93600.0]
    assert (recorder.recorded, recorder.skipped) == (2, 3)
    assert (await redis.xpending(s.keys.bars, GROUP_RECORDER))["pending"] == 0
    await redis.aclose()


async def test_recording_after_replay_adds_nothing_and_keeps_the_first_row(redis_url, tmp_path) -> None:
    s = Settings(redis_url=redis_url, home=tmp_path)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, GROUP_RECORDER)
    series = synthetic_bars(["AAA", "BBB"], "5m", START, 300, seed=5)
    assert await record(BarStore(tmp_path), series) == 600  # replay/ingest record, then publish
    await publish_bars(redis, s.keys.bars, time_ordered(series), s.maxlen)
    recorder = Recorder(redis, BarStore(tmp_path), s)
    await recorder.handle(await read_group(redis, s))
    assert recorder.recorded == 0
    for bars in series:
        stored = BarStore(tmp_path).read(bars.symbol, "5m")
        assert np.array_equal(stored.ts, bars.ts)
        assert np.array_equal(stored.close, bars.close)
    await redis.aclose()


async def test_record_stream_runs_as_a_consumer_group_service(redis_url, tmp_path) -> None:
    s = Settings(redis_url=redis_url, home=tmp_path, consumer="rec-1", block_ms=20)
    redis = Redis.from_url(redis_url)
    task = asyncio.create_task(record_stream(s))
    await redis.xadd(s.keys.bars, {"__data__": README_BAR})
    store = BarStore(tmp_path)
    for _ in range(200):
        if len(store.read("BTCUSDT", "5m")):
            break
        await asyncio.sleep(0.05)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert store.read("BTCUSDT", "5m").ts.tolist() == [START]
    groups = {g["name"] for g in await redis.xinfo_groups(s.keys.bars)}
    assert groups == {GROUP_RECORDER.encode()}
    await redis.aclose()


async def test_a_retrain_succeeds_on_bars_only_ever_published_to_the_stream(redis_url, tmp_path) -> None:
    from candlecast.shared.core.messages import RetrainModel
    from candlecast.trainer.app import Trainer
    from candlecast.trainer.settings import TrainerSettings

    s = Settings(redis_url=redis_url, home=tmp_path, batch_size=10_000)
    redis = Redis.from_url(redis_url)
    await ensure_group(redis, s.keys.bars, GROUP_RECORDER)
    series = synthetic_bars(["AAA", "BBB"], "5m", START, 3_000, seed=4, signal=0.8)
    await publish_bars(redis, s.keys.bars, time_ordered(series), s.maxlen)  # nobody records them
    assert BarStore(tmp_path).series() == []
    await Recorder(redis, BarStore(tmp_path), s).handle(await read_group(redis, s))

    ts = TrainerSettings(
        redis_url=redis_url,
        home=tmp_path,
        feature_set="seed",
        symbols=["AAA", "BBB"],
        train_threads=1,
        n_splits=3,
    )
    command = RetrainModel(request_id="r1", trials=2, force=True)
    await handle_delivered(Trainer(redis, ts), [Entry("1-0", command.model_dump_json().encode())])
    (promoted,) = [json.loads(f[b"__data__"]) for _, f in await redis.xrange(ts.keys.models)]
    assert promoted["request_id"] == "r1"
    assert promoted["metrics"]["n_train"] > 0
    await redis.aclose()
