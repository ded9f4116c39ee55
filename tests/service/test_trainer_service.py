"""The trainer's handler against a real Redis: promote, fail loudly, dead-letter, roll back."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.snapshots import write_snapshot
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.features import SEED
from candlecast.shared.core.messages import RetrainModel, RollbackModel
from candlecast.trainer.app import Trainer
from candlecast.trainer.settings import TrainerSettings
from tests.support.streams import handle_delivered

pytestmark = pytest.mark.redis


def entry(i: int, data: bytes) -> Entry:
    return Entry(f"{i}-0", data)


async def stream(redis: Redis, key: str) -> list[dict]:
    return [json.loads(f[b"__data__"]) for _, f in await redis.xrange(key)]


def settings(redis_url: str, tmp_path, symbols: list[str]) -> TrainerSettings:
    return TrainerSettings(
        redis_url=redis_url, home=tmp_path, feature_set="seed", symbols=symbols, train_threads=1, n_splits=3
    )


async def test_retrain_promotes_then_rollback_restores(redis_url, tmp_path) -> None:
    for bars in synthetic_bars(["AAA", "BBB"], "5m", 1_735_689_600_000, 3_000, seed=4, signal=0.8):
        BarStore(tmp_path).append(bars)
    redis = Redis.from_url(redis_url)
    trainer = Trainer(redis, settings(redis_url, tmp_path, ["AAA", "BBB"]))
    await handle_delivered(
        trainer, [entry(1, RetrainModel(request_id="a", horizon=2, trials=2).model_dump_json().encode())]
    )
    same = RetrainModel(request_id="b", horizon=2, trials=2, force=True)  # same data: no gain on the champion
    await handle_delivered(trainer, [entry(2, same.model_dump_json().encode())])
    first, second = await stream(redis, trainer.keys.models)
    assert (first["request_id"], second["request_id"]) == ("a", "b")
    assert first["horizon"] == 2
    assert first["feature_set"]["name"] == "seed"
    store = FileModelStore(tmp_path)
    assert store.champion() == second["version"]
    gate_a, gate_b = store.card(first["version"]).gate, store.card(second["version"]).gate
    assert (gate_a.decision, gate_a.champion_version) == ("promoted", None)
    assert (gate_b.decision, gate_b.champion_version) == ("forced", first["version"])
    assert gate_b.rows > 0
    assert "champion" in gate_b.reason
    events = [e for e in await stream(redis, trainer.keys.events) if e["request_id"] == "a"]
    assert [e["stage"] for e in events if e.get("trial") is None] == [
        "dataset",
        "tune",
        "evaluate",
        "gate",
        "promote",
    ]
    assert [(e["trial"], e["trials"]) for e in events if e.get("trial")] == [(1, 2), (2, 2)]
    assert first["metrics"]["log_loss"] < first["metrics"]["baseline_log_loss"]

    await handle_delivered(
        trainer,
        [entry(3, RollbackModel(request_id="c", version=first["version"]).model_dump_json().encode())],
    )
    assert store.champion() == first["version"]
    assert (await stream(redis, trainer.keys.models))[-1]["version"] == first["version"]
    await redis.aclose()


async def test_a_random_walk_is_rejected_and_the_card_kept(redis_url, tmp_path) -> None:
    for bars in synthetic_bars(["AAA", "BBB"], "5m", 1_735_689_600_000, 1_500, seed=4):
        BarStore(tmp_path).append(bars)
    redis = Redis.from_url(redis_url)
    trainer = Trainer(redis, settings(redis_url, tmp_path, ["AAA", "BBB"]))
    await handle_delivered(
        trainer, [entry(1, RetrainModel(request_id="rw", trials=2).model_dump_json().encode())]
    )
    events = await stream(redis, trainer.keys.events)
    (rejected,) = [e for e in events if e["event"] == "model_rejected"]
    assert "does not beat the base rate" in rejected["reason"]
    store = FileModelStore(tmp_path)
    assert store.champion() is None
    card = store.card(rejected["version"])
    assert card.gate.decision == "rejected"
    assert [p.name for p in store.plots(rejected["version"])] == sorted(card.plots)
    await redis.aclose()


async def test_failures_are_reported_and_bad_commands_dead_lettered(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    trainer = Trainer(redis, TrainerSettings(redis_url=redis_url, home=tmp_path, feature_set="seed"))
    got = await handle_delivered(
        trainer,
        [
            entry(1, RetrainModel(request_id="empty").model_dump_json().encode()),
            entry(2, b'{"command":"retrain","horizon":0}'),
            entry(3, RollbackModel(request_id="r", version="nope").model_dump_json().encode()),
        ],
    )
    events = await stream(redis, trainer.keys.events)
    failed = {e["request_id"]: e["error"] for e in events if e["event"] == "training_failed"}
    assert "no stored 5m bars" in failed["empty"]
    assert "r" in failed
    dead = await stream(redis, trainer.keys.dlq)
    assert [d["entry_id"] for d in dead] == [got[1].id]
    assert "horizon" in dead[0]["reason"]
    assert await redis.xlen(trainer.keys.models) == 0
    await redis.aclose()


async def test_redelivered_retrain_republishes_instead_of_training_again(redis_url, tmp_path) -> None:
    for bars in synthetic_bars(["AAA"], "5m", 1_735_689_600_000, 1_200, seed=5):
        BarStore(tmp_path).append(bars)
    redis = Redis.from_url(redis_url)
    trainer = Trainer(redis, settings(redis_url, tmp_path, ["AAA"]))
    command = RetrainModel(request_id="once", trials=1, force=True).model_dump_json().encode()
    await handle_delivered(trainer, [entry(1, command)])
    await handle_delivered(trainer, [entry(1, command)])  # the same request again, as after a crash
    first, again = await stream(redis, trainer.keys.models)
    assert again["version"] == first["version"]
    assert len(FileModelStore(tmp_path).list()) == 1, "no second model for the same request"
    await redis.aclose()


async def test_a_snapshot_retrain_records_its_id_and_a_tampered_one_fails(redis_url, tmp_path) -> None:
    series = synthetic_bars(["AAA"], "5m", 1_735_689_600_000, 1_200, seed=5)
    folder, manifest = write_snapshot(tmp_path / "snaps", series, "store", SEED.id, (0, 1), now_ms=1)
    redis = Redis.from_url(redis_url)
    trainer = Trainer(redis, settings(redis_url, tmp_path, ["ZZZ"]))
    command = RetrainModel(request_id="s", snapshot=str(folder), trials=1, force=True)
    await handle_delivered(trainer, [entry(1, command.model_dump_json().encode())])
    (promoted,) = await stream(redis, trainer.keys.models)
    train = FileModelStore(tmp_path).card(promoted["version"]).train
    assert (train.source, train.snapshot_id, train.symbols) == ("snapshot", manifest.id, ("AAA",))

    (folder / manifest.files[0].path).write_bytes(b"tampered")
    again = RetrainModel(request_id="t", snapshot=str(folder), trials=1)
    await handle_delivered(trainer, [entry(2, again.model_dump_json().encode())])
    events = await stream(redis, trainer.keys.events)
    failed = {e["request_id"]: e["error"] for e in events if e["event"] == "training_failed"}
    assert manifest.files[0].path in failed["t"]
    assert "sha256" in failed["t"]
    assert FileModelStore(tmp_path).champion() == promoted["version"], "the champion is untouched"
    await redis.aclose()
