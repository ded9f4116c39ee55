"""The trainer's limits against a real Redis: too many symbols, and errors that would echo input."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from candlecast.shared.core.entries import MAX_REASON_CHARS, Entry
from candlecast.shared.core.messages import RetrainModel
from candlecast.trainer.app import Trainer
from candlecast.trainer.settings import TrainerSettings
from tests.support.streams import handle_delivered

pytestmark = pytest.mark.redis


async def test_too_many_symbols_and_long_errors_fail_with_bounded_events(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    trainer = Trainer(redis, TrainerSettings(redis_url=redis_url, home=tmp_path, max_symbols=5))
    many = RetrainModel(request_id="many", symbols=[f"S{i}" for i in range(1_000)])
    far = RetrainModel(request_id="far", snapshot="a/" * 500)  # its error quotes the path
    await handle_delivered(
        trainer, [Entry(f"{i}-0", c.model_dump_json().encode()) for i, c in enumerate([many, far], 1)]
    )

    failed = {
        e["request_id"]: e["error"]
        for e in (json.loads(f[b"__data__"]) for _, f in await redis.xrange(trainer.keys.events))
        if e["event"] == "training_failed"
    }
    assert failed["many"] == "1000 symbols named; at most 5 (CANDLECAST_MAX_SYMBOLS)"
    assert failed["far"].startswith("no snapshot 'a/a/a/")
    assert failed["far"].endswith(" chars in all]")
    assert len(failed["far"]) < MAX_REASON_CHARS + 50
    assert await redis.xlen(trainer.keys.dlq) == 0, "valid commands the trainer refuses are not dead letters"
    await redis.aclose()
