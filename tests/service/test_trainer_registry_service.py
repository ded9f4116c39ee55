"""Promote and rollback through the trainer on a real Redis: every change reaches the models stream."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from candlecast.cli.ops.retrain import send
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.core.constants import GROUP_TRAINER
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.messages import PromoteModel, RollbackModel
from candlecast.shared.core.model import UpModel
from candlecast.shared.settings import Settings
from candlecast.trainer.app import Trainer
from candlecast.trainer.settings import TrainerSettings
from tests.support.models import FS, card_draft, tiny_booster
from tests.support.streams import handle_delivered

pytestmark = pytest.mark.redis


def save_models(store: FileModelStore, n: int) -> list[str]:
    versions = []
    for i in range(n):
        version = store.new_version(1_767_225_600_000 + i)
        model = UpModel(tiny_booster(["f1"]), ("f1",), FS, 1, "5m")
        store.save(version, model, card_draft(model, 1_767_225_600_000 + i))
        versions.append(version)
    return versions


async def stream(redis: Redis, key: str) -> list[dict]:
    return [json.loads(f[b"__data__"]) for _, f in await redis.xrange(key)]


@pytest.fixture
async def trainer(redis_url, tmp_path):
    redis = Redis.from_url(redis_url)
    yield Trainer(redis, TrainerSettings(redis_url=redis_url, home=tmp_path, retrain_cron=""))
    await redis.aclose()


async def run(trainer: Trainer, *commands) -> None:
    entries = [Entry(f"{i + 1}-0", c.model_dump_json().encode()) for i, c in enumerate(commands)]
    await handle_delivered(trainer, entries)


async def test_promote_then_rollback_walks_back_through_champions(trainer, tmp_path) -> None:
    store = FileModelStore(tmp_path)
    a, b, c = save_models(store, 3)
    store.promote(a)
    await run(trainer, PromoteModel(request_id="p1", version=b), PromoteModel(request_id="p2", version=c))
    assert store.champion() == c
    await run(trainer, RollbackModel(request_id="r1"))
    assert store.champion() == b
    await run(trainer, RollbackModel(request_id="r2"))
    assert store.champion() == a
    await run(trainer, RollbackModel(request_id="r3"), PromoteModel(request_id="p3", version="nope"))
    assert store.champion() == a, "failures leave the champion alone"
    promoted = await stream(trainer.redis, trainer.keys.models)
    assert [(e["request_id"], e["version"]) for e in promoted] == [("p1", b), ("p2", c), ("r1", b), ("r2", a)]
    failed = {e["request_id"]: e["error"] for e in await stream(trainer.redis, trainer.keys.events)}
    assert "no earlier champion" in failed["r3"]
    assert "no saved model 'nope'" in failed["p3"]
    assert [h.action for h in store.history()] == ["train", "promote", "promote", "revert", "revert"]


async def test_cli_promote_waits_for_the_trainers_promotion(trainer, redis_url, tmp_path, capsys) -> None:
    _, b = save_models(FileModelStore(tmp_path), 2)
    await ensure_group(trainer.redis, trainer.keys.commands, GROUP_TRAINER)

    async def serve_one() -> None:
        while not (rows := await trainer.redis.xrange(trainer.keys.commands)):
            await asyncio.sleep(0.05)
        await handle_delivered(trainer, [Entry(rows[0][0].decode(), rows[0][1][b"__data__"])])

    server = asyncio.create_task(serve_one())
    code = await send(Settings(redis_url=redis_url), PromoteModel(version=b), follow=True, wait_s=10)
    await server
    assert code == 0
    assert f"promoted {b}" in capsys.readouterr().out
