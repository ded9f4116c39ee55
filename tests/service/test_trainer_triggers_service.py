"""Triggers on a real Redis: one publisher per cron slot, one training at a time, bad commands fail loudly."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.messages import RetrainModel
from candlecast.trainer.app import Trainer
from candlecast.trainer.lock import TrainingLock
from candlecast.trainer.schedule import RetrainSchedule
from candlecast.trainer.settings import TrainerSettings
from tests.support.streams import handle_delivered

pytestmark = pytest.mark.redis

SLOT = int(datetime(2026, 1, 1, 3, tzinfo=UTC).timestamp() * 1000)  # 03:00 UTC


async def stream(redis: Redis, key: str) -> list[dict]:
    return [json.loads(f[b"__data__"]) for _, f in await redis.xrange(key)]


class FakeTime:
    """A clock that moves only when someone sleeps, and stops at `until`."""

    def __init__(self, now_ms: int, until_ms: int) -> None:
        self.now_ms = now_ms
        self.until_ms = until_ms

    def __call__(self) -> int:
        return self.now_ms

    async def sleep(self, seconds: float) -> None:
        if self.now_ms >= self.until_ms:
            await asyncio.Event().wait()  # the end of this test's time
        self.now_ms = min(self.now_ms + int(seconds * 1000), self.until_ms)
        await asyncio.sleep(0)


async def test_each_slot_is_published_by_exactly_one_replica(redis_url) -> None:
    redis = Redis.from_url(redis_url)
    replicas = []
    for name in ("trainer-a", "trainer-b", "trainer-c"):
        settings = TrainerSettings(redis_url=redis_url, consumer=name, retrain_cron="0 3 * * *", horizon=2)
        time = FakeTime(SLOT - 150_000, until_ms=SLOT + 86_400_000 + 60_000)  # two slots
        replicas.append(asyncio.create_task(RetrainSchedule(redis, settings, time, time.sleep).run()))
    keys = TrainerSettings(redis_url=redis_url).keys
    for _ in range(100):
        await asyncio.sleep(0.01)
    for task in replicas:
        task.cancel()
    commands = await stream(redis, keys.commands)
    assert [c["request_id"] for c in commands] == ["cron-20260101T0300Z", "cron-20260102T0300Z"]
    assert (commands[0]["symbols"], commands[0]["horizon"]) == ([], 2), (
        "configured symbols, settings' horizon"
    )
    assert (await redis.get(keys.retrain_slot(SLOT))).decode() in {"trainer-a", "trainer-b", "trainer-c"}
    await redis.aclose()


async def test_the_lock_is_renewed_while_held_and_released_by_its_owner_only(redis_url) -> None:
    redis = Redis.from_url(redis_url)
    lock = TrainingLock(redis, "t:lock", "me", ttl_s=0.3, poll_s=0.02)
    waited: list[str] = []

    async def waiting(holder: str) -> None:
        waited.append(holder)

    async with lock.held(waiting):
        await asyncio.sleep(0.8)  # well past the TTL
        assert (await redis.get("t:lock")).decode().startswith("me/")
    assert await redis.get("t:lock") is None
    await redis.set("t:lock", "other/1", px=200)
    async with lock.held(waiting):
        assert (await redis.get("t:lock")).decode().startswith("me/"), "taken once the other expired"
    assert waited == ["other/1"], "told once who holds it"
    await redis.aclose()


async def test_a_retrain_waits_its_turn_then_trains_on_the_configured_symbols(redis_url, tmp_path) -> None:
    for bars in synthetic_bars(["AAA", "BBB", "JUNK"], "5m", 1_735_689_600_000, 1_200, seed=4):
        BarStore(tmp_path).append(bars)
    redis = Redis.from_url(redis_url)
    settings = TrainerSettings(
        redis_url=redis_url, home=tmp_path, feature_set="seed", symbols=["AAA", "BBB"], train_threads=1
    )
    trainer = Trainer(redis, settings)
    trainer.lock.poll_s = 0.05
    await redis.set(settings.keys.training_lock, "elsewhere/1")  # another replica is training
    command = RetrainModel(request_id="q", trials=1, force=True).model_dump_json().encode()
    handling = asyncio.create_task(handle_delivered(trainer, [Entry("1-0", command)]))
    while not await redis.xlen(settings.keys.events):
        await asyncio.sleep(0.05)
    (queued,) = await stream(redis, settings.keys.events)
    assert (queued["stage"], queued["detail"]) == ("queued", "waiting for the training held by elsewhere/1")
    await asyncio.sleep(0.3)
    assert not handling.done(), "no training while another replica holds the lock"
    await redis.delete(settings.keys.training_lock)
    await asyncio.wait_for(handling, 120)
    (promoted,) = await stream(redis, settings.keys.models)
    assert promoted["request_id"] == "q"
    assert FileModelStore(tmp_path).card(promoted["version"]).train.symbols == ("AAA", "BBB")
    assert await redis.get(settings.keys.training_lock) is None, "released after training"
    await redis.aclose()


async def test_bad_commands_fail_loudly_and_leave_the_champion(redis_url, tmp_path) -> None:
    BarStore(tmp_path).append(synthetic_bars(["AAA"], "5m", 1_735_689_600_000, 300, seed=1)[0])
    redis = Redis.from_url(redis_url)
    trainer = Trainer(redis, TrainerSettings(redis_url=redis_url, home=tmp_path, symbols=["AAA"]))
    got = await handle_delivered(
        trainer,
        [
            Entry(
                "1-0", RetrainModel(request_id="unknown", symbols=["AAA", "ZZZ"]).model_dump_json().encode()
            ),
            Entry("2-0", b'{"command": "retrain", "request_id": "t", "trials": 0}'),
            Entry("3-0", b'{"command": "retrain", "request_id": "h", "horizon": 501}'),
            Entry("4-0", RetrainModel(request_id="snap", snapshot="nope").model_dump_json().encode()),
        ],
    )
    failed = {e["request_id"]: e["error"] for e in await stream(redis, trainer.keys.events)}
    assert failed["unknown"] == "no stored 5m bars for ZZZ"
    assert failed["t"].startswith("refused command: schema check failed at retrain.trials")
    assert failed["h"].startswith("refused command: schema check failed at retrain.horizon")
    assert failed["snap"].startswith("no snapshot 'nope'")
    assert [d["entry_id"] for d in await stream(redis, trainer.keys.dlq)] == [got[1].id, got[2].id]
    assert await redis.xlen(trainer.keys.models) == 0
    assert FileModelStore(tmp_path).champion() is None
    await redis.aclose()
