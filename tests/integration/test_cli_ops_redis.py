"""Operator commands against a real Redis: tail, retrain as typed, and --follow outcomes."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis as sync_redis
from redis.asyncio import Redis

from candlecast.cli.main import main
from candlecast.cli.ops.retrain import follow_outcome
from candlecast.cli.ops.tail import tail
from candlecast.shared.adapters.redis_streams import publish
from candlecast.shared.core.messages import (
    ModelLoaded,
    ModelPromoted,
    ModelRefused,
    PredictionMade,
    TrainingFailed,
    TrainingProgress,
)
from candlecast.shared.settings import Settings
from tests.support.models import FS, METRICS

pytestmark = pytest.mark.redis


def prediction(ts: int) -> PredictionMade:
    return PredictionMade(
        symbol="AAA", timeframe="5m", ts=ts, horizon=1, prob_up=0.6, model_version="v1", produced_at=ts
    )


async def test_tail_prints_exactly_count_and_skips_foreign_entries(redis_url, capsys) -> None:
    settings = Settings(redis_url=redis_url)
    r = Redis.from_url(redis_url)
    await r.xadd(settings.keys.predictions, {"other": b"field"})
    for ts in range(5):
        await publish(r, settings.keys.predictions, prediction(ts * 300_000), 1000)
    await tail(settings, None, 3, from_start=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert all("P(up in 1)=0.6000" in line for line in lines)
    await r.aclose()


async def test_follow_exits_1_on_failure_of_its_own_request(redis_url, capsys) -> None:
    settings = Settings(redis_url=redis_url)
    r = Redis.from_url(redis_url)
    since = {settings.keys.events: "0-0", settings.keys.models: "0-0"}
    await publish(r, settings.keys.events, TrainingFailed(request_id="other", error="not mine"), 1000)
    await publish(r, settings.keys.events, TrainingProgress(request_id="mine", stage="fit", detail="d"), 1000)
    await publish(r, settings.keys.events, TrainingFailed(request_id="mine", error="boom"), 1000)
    code = await asyncio.wait_for(follow_outcome(r, since, "mine", wait_s=10), 15)
    out = capsys.readouterr().out
    assert code == 1
    assert "fit: d" in out
    assert "failed: boom" in out
    assert "not mine" not in out
    await r.aclose()


def test_retrain_publishes_the_command_as_typed(redis_url, monkeypatch) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", redis_url)
    args = ["retrain", "--symbols", "AAA,BBB", "--symbols", "CCC", "--horizon", "3", "--timeframe", "15m"]
    assert main(args) == 0
    (entry,) = sync_redis.Redis.from_url(redis_url).xrange(Settings().keys.commands)
    command = json.loads(entry[1][b"__data__"])
    assert command["command"] == "retrain"
    assert command["symbols"] == ["AAA", "BBB", "CCC"]
    assert (command["timeframe"], command["horizon"], command["trials"]) == ("15m", 3, 200)
    assert (command["force"], command["snapshot"]) == (False, None)


def test_retrain_force_trials_and_a_local_snapshot_dir(redis_url, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", redis_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "snap").mkdir()
    assert main(["retrain", "--force", "--trials", "7", "--snapshot", "snap"]) == 0
    assert main(["retrain", "--snapshot", "some-id"]) == 0
    first, second = sync_redis.Redis.from_url(redis_url).xrange(Settings().keys.commands)
    command = json.loads(first[1][b"__data__"])
    assert (command["force"], command["trials"]) == (True, 7)
    assert command["snapshot"] == str(tmp_path / "snap"), "a local directory goes as an absolute path"
    assert json.loads(second[1][b"__data__"])["snapshot"] == "some-id"


def test_follow_without_an_outcome_exits_3(redis_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", redis_url)
    assert main(["retrain", "--follow", "--timeout", "1"]) == 3
    assert "no outcome for" in capsys.readouterr().out


def promoted(request_id: str, version: str) -> ModelPromoted:
    return ModelPromoted(
        request_id=request_id, version=version, sha256="0" * 64, feature_set=FS, horizon=1, metrics=METRICS
    )


def loaded(version: str, consumer: str) -> ModelLoaded:
    return ModelLoaded(version=version, sha256="0" * 64, consumer=consumer, at=1)


async def test_follow_waits_until_a_predictor_announces_the_promoted_version(redis_url, capsys) -> None:
    keys = Settings(redis_url=redis_url).keys
    r = Redis.from_url(redis_url)
    since = {keys.events: "0-0", keys.models: "0-0"}
    await publish(r, keys.events, loaded("v0", "p1"), 1000)  # the old champion: not what we wait for
    await publish(r, keys.models, promoted("mine", "v1"), 1000)
    follow = asyncio.create_task(follow_outcome(r, since, "mine", wait_s=10, loaded_s=10))
    await asyncio.sleep(0.5)
    assert not follow.done(), "promoted, but no predictor serves v1 yet"
    await publish(r, keys.events, ModelRefused(version="v1", consumer="p2", reason="old features"), 1000)
    await publish(r, keys.events, loaded("v1", "p1"), 1000)
    assert await asyncio.wait_for(follow, 5) == 0
    out = capsys.readouterr().out
    assert "promoted v1" in out
    assert "refused v1 by predictor p2: old features" in out
    assert "loaded v1 by predictor p1" in out
    await r.aclose()


async def test_follow_exits_4_when_no_predictor_loads_the_promoted_version(redis_url, capsys) -> None:
    keys = Settings(redis_url=redis_url).keys
    r = Redis.from_url(redis_url)
    since = {keys.events: "0-0", keys.models: "0-0"}
    await publish(r, keys.models, promoted("mine", "v1"), 1000)
    assert await asyncio.wait_for(follow_outcome(r, since, "mine", wait_s=10, loaded_s=1), 5) == 4
    assert "no predictor announced v1 within 1 s" in capsys.readouterr().out
    since = {keys.events: "0-0", keys.models: "0-0"}
    assert await follow_outcome(r, since, "mine", wait_s=10) == 0, "without loaded_s: promotion is enough"
    await r.aclose()
