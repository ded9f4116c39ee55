"""The whole predictor loop against a real Redis: rows wait for a model; promotions jump the backlog."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from candlecast.predictor.app import serve_predictor
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.redis_streams import publish
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.constants import DATA_FIELD, GROUP_PREDICTOR
from candlecast.shared.core.messages import FeaturesComputed, ModelPromoted
from candlecast.shared.core.model import UpModel
from candlecast.shared.settings import Settings
from tests.service.test_predictor_service import model, register
from tests.support.models import FS, METRICS

pytestmark = pytest.mark.redis

TF_MS = 300_000


class SlowStore(FileModelStore):
    """A registry whose loads take `delay_s` (a big model on a slow disk)."""

    delay_s = 0.0

    def load(self, version: str) -> tuple[UpModel, ModelCard]:
        time.sleep(self.delay_s)
        return super().load(version)


async def add_rows(redis: Redis, stream: str, first: int, n: int) -> None:
    pipe = redis.pipeline(transaction=False)
    for i in range(first, first + n):
        row = FeaturesComputed(
            symbol="AAA",
            timeframe="5m",
            ts=i * TF_MS,
            feature_set=FS,
            values=[(i % 7) / 7, 0.1],
            close=1.0,
        )
        pipe.xadd(stream, {DATA_FIELD: row.model_dump_json()})
    await pipe.execute()


async def promote(redis: Redis, store: FileModelStore, settings: Settings, seed: int, now: int) -> str:
    version, sha = register(store, model(FS, seed), now)
    store.promote(version)
    event = ModelPromoted(
        request_id="r", version=version, sha256=sha, feature_set=FS, horizon=1, metrics=METRICS
    )
    await publish(redis, settings.keys.models, event, settings.maxlen)
    return version


async def predictions(redis: Redis, stream: str) -> list[dict]:
    return [json.loads(f[DATA_FIELD.encode()]) for _, f in await redis.xrange(stream)]


async def until(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running(redis: Redis, settings: Settings, store: FileModelStore) -> AsyncIterator[None]:
    task = asyncio.create_task(serve_predictor(redis, settings, store))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_rows_before_any_model_wait_unread_across_a_restart_then_all_get_predicted(
    redis_url, tmp_path
) -> None:
    redis = Redis.from_url(redis_url)
    settings = Settings(redis_url=redis_url, home=tmp_path, consumer="p1", batch_size=100, block_ms=20)
    keys, store, n = settings.keys, FileModelStore(tmp_path), 1_200
    await add_rows(redis, keys.features, 0, n)
    async with running(redis, settings, store):
        await until(lambda: _has_group(redis, keys.features), 10)
        await asyncio.sleep(0.5)
        assert await _delivered(redis, keys.features) == "0-0", "no model: no row read, none acked"
        assert await redis.xlen(keys.predictions) == 0
    async with running(redis, settings, store):  # a restart: the held batch is drained first
        await asyncio.sleep(0.5)
        assert await redis.xlen(keys.predictions) == 0
        v1 = await promote(redis, store, settings, 1, 1_000)
        await until(lambda: _has(redis, keys.predictions, n), 30)
        await asyncio.sleep(0.3)  # anything extra would be a duplicate
    preds = await predictions(redis, keys.predictions)
    assert [p["ts"] for p in preds] == [i * TF_MS for i in range(n)], "all, once each, in order"
    assert {p["model_version"] for p in preds} == {v1}
    assert (await redis.xpending(keys.features, GROUP_PREDICTOR))["pending"] == 0
    assert await redis.xlen(keys.dlq) == 0
    events = await predictions(redis, keys.events)
    assert [(e["event"], e["version"], e["consumer"]) for e in events] == [("model_loaded", v1, "p1")]
    await redis.aclose()


async def _delivered(redis: Redis, stream: str) -> str:
    """The predictor group's last delivered id."""
    (group,) = await redis.xinfo_groups(stream)
    return str(group["last-delivered-id"].decode())


async def _has_group(redis: Redis, stream: str) -> bool:
    try:
        return bool(await redis.xinfo_groups(stream))
    except ResponseError:
        return False  # no stream yet


async def _has(redis: Redis, stream: str, n: int) -> bool:
    return int(await redis.xlen(stream)) >= n


async def test_a_promotion_jumps_the_backlog_and_rows_after_it_get_the_new_model(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    settings = Settings(redis_url=redis_url, home=tmp_path, consumer="p1", batch_size=100, block_ms=20)
    keys, store = settings.keys, SlowStore(tmp_path)
    v1 = await promote(redis, store, settings, 1, 1_000)
    backlog, after = 20_000, 200
    await add_rows(redis, keys.features, 0, backlog)
    async with running(redis, settings, store):
        await until(lambda: _has(redis, keys.predictions, 1), 10)  # v1 is serving the backlog
        store.delay_s = 0.2
        promoted_at = int(time.time() * 1000)
        v2 = await promote(redis, store, settings, 2, 2_000)
        await add_rows(redis, keys.features, backlog, after)  # right behind the promotion, before v2 loads
        await until(lambda: _has(redis, keys.predictions, backlog + after), 120)
    preds = await predictions(redis, keys.predictions)
    by_v1 = {p["ts"] for p in preds if p["model_version"] == v1}
    catch_up = [p for p in preds if p["model_version"] == v2 and p["ts"] in by_v1]
    assert len(catch_up) <= 1, (
        "at most the promotion's catch-up of v1's newest row (if no v2 batch came first)"
    )
    preds = [p for p in preds if p not in catch_up]
    versions = [p["model_version"] for p in preds]
    n_v1 = versions.count(v1)
    assert len(preds) == backlog + after
    assert versions == [v1] * n_v1 + [v2] * (backlog + after - n_v1), "one swap, between batches"
    assert n_v1 < backlog, "the swap did not wait for the backlog to drain"
    assert {p["model_version"] for p in preds[backlog:]} == {v2}, "rows after the promotion: new model"
    loaded = [e for e in await predictions(redis, keys.events) if e["version"] == v2]
    delay_ms = loaded[0]["at"] - promoted_at
    print(f"swap {delay_ms} ms after the promotion (load 200 ms); backlog rows by v1: {n_v1} of {backlog}")
    assert delay_ms < 5_000
    await redis.aclose()


async def test_rows_right_behind_a_promotion_wait_for_its_slow_load(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    settings = Settings(redis_url=redis_url, home=tmp_path, consumer="p1", batch_size=100, block_ms=20)
    keys, store = settings.keys, SlowStore(tmp_path)
    v1 = await promote(redis, store, settings, 1, 1_000)
    async with running(redis, settings, store):
        await add_rows(redis, keys.features, 0, 10)
        await until(lambda: _has(redis, keys.predictions, 10), 10)
        store.delay_s = 1.0
        v2 = await promote(redis, store, settings, 2, 2_000)
        await add_rows(redis, keys.features, 10, 50)  # idle predictor: read at once, loaded 1 s later
        await until(lambda: _has(redis, keys.predictions, 60), 10)
    versions = [p["model_version"] for p in await predictions(redis, keys.predictions)]
    assert versions == [v1] * 10 + [v2] * 51, "v2's first: the promotion's catch-up of row 9"
    await redis.aclose()


async def test_a_cancelled_predictor_leaves_no_task_behind(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    settings = Settings(redis_url=redis_url, home=tmp_path, consumer="p1", batch_size=100, block_ms=20)
    keys, store = settings.keys, FileModelStore(tmp_path)
    await promote(redis, store, settings, 1, 1_000)
    before = asyncio.all_tasks()
    async with running(redis, settings, store):
        await add_rows(redis, keys.features, 0, 10)
        await until(lambda: _has(redis, keys.predictions, 10), 10)  # subscriber and watcher both running
        assert len(asyncio.all_tasks() - before) >= 3
    left = [t for t in asyncio.all_tasks() - before if not t.done()]
    assert left == [], "the subscriber's read loop and the model watcher end with the service"
    await redis.aclose()
