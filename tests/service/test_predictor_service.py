"""The predictor's handlers against a real Redis: serving, refusing and hot-swapping models."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
from redis.asyncio import Redis

from candlecast.predictor.app import Predictor
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.calibration import IDENTITY, Calibrator
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.messages import FeaturesComputed, FeatureSetId, ModelPromoted
from candlecast.shared.core.model import UpModel
from candlecast.shared.settings import Settings
from tests.support.models import FS, METRICS, OTHER, card_draft, tiny_booster
from tests.support.streams import delivered

pytestmark = pytest.mark.redis

NAMES = ("f1", "f2")


SHRUNK = Calibrator(method="sigmoid", a=0.5, b=0.1, shrink=0.3, base_rate=0.48)


def model(fs: FeatureSetId, seed: int, calibrator: Calibrator = IDENTITY) -> UpModel:
    return UpModel(tiny_booster(NAMES, seed), NAMES, fs, 1, "5m", calibrator)


def register(store: FileModelStore, m: UpModel, now: int) -> tuple[str, str]:
    version = store.new_version(now)
    return version, store.save(version, m, card_draft(m, now)).sha256


def rows(fs: FeatureSetId, n: int, first_ts: int = 0) -> list[Entry]:
    out = []
    for i in range(n):
        row = FeaturesComputed(
            symbol="AAA",
            timeframe="5m",
            ts=first_ts + i * 300_000,
            feature_set=fs,
            values=[i / n - 0.5, 0.1],  # f1, f2: the model's order (FS is not a known set)
            close=100.0,
        )
        out.append(Entry(f"{i + 1}-0", row.model_dump_json().encode()))
    return out


def served_probs(store: FileModelStore, version: str, n: int) -> list[float]:
    """What `version` says about the n rows `rows` builds."""
    X = np.array([[i / n - 0.5, 0.1] for i in range(n)])
    probs: list[float] = store.load(version)[0].predict_proba(X).tolist()
    return probs


async def stream(redis: Redis, key: str) -> list[dict]:
    return [json.loads(f[b"__data__"]) for _, f in await redis.xrange(key)]


async def champion_served(
    redis_url: str, tmp_path: Path, consumer: str
) -> tuple[Redis, FileModelStore, Predictor, str, str]:
    """A predictor that has loaded champion v1 (seed 1)."""
    redis = Redis.from_url(redis_url)
    store = FileModelStore(tmp_path)
    v1, sha1 = register(store, model(FS, 1), 1_000)
    store.promote(v1)
    p = Predictor(redis, Settings(redis_url=redis_url, home=tmp_path, consumer=consumer), store)
    await p.load_champion()
    return redis, store, p, v1, sha1


async def test_without_a_model_a_batch_waits_unacked_then_is_predicted(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    store = FileModelStore(tmp_path)
    settings = Settings(redis_url=redis_url, home=tmp_path, consumer="p1")
    p = Predictor(redis, settings, store)
    await p.load_champion()
    assert p.served is None
    held = asyncio.create_task(p.handle(await delivered(redis, p.keys.features, "predictor", rows(FS, 5))))
    await asyncio.sleep(0.3)
    assert not held.done(), "no model: the batch is held, not acked and dropped"
    assert p.waiting == 5
    assert await redis.xlen(p.keys.predictions) == 0
    assert await redis.xlen(p.keys.dlq) == 0

    v1, sha1 = register(store, model(FS, 1), 1_000)
    await p.on_promoted(
        ModelPromoted(request_id="r", version=v1, sha256=sha1, feature_set=FS, horizon=1, metrics=METRICS)
    )
    await asyncio.wait_for(held, 5)
    preds = await stream(redis, p.keys.predictions)
    assert [x["ts"] for x in preds] == [i * 300_000 for i in range(5)]
    assert {x["model_version"] for x in preds} == {v1}
    assert p.waiting == 0
    loaded = await stream(redis, p.keys.events)
    assert [(e["event"], e["version"], e["sha256"], e["consumer"]) for e in loaded] == [
        ("model_loaded", v1, sha1, "p1")
    ]
    await redis.aclose()


async def test_start_up_announces_the_champion(redis_url, tmp_path) -> None:
    redis, _, p, v1, sha1 = await champion_served(redis_url, tmp_path, "p9")
    (event,) = await stream(redis, p.keys.events)
    assert (event["event"], event["version"], event["sha256"], event["consumer"]) == (
        "model_loaded",
        v1,
        sha1,
        "p9",
    )
    assert event["at"] > 0
    await redis.aclose()


async def test_serves_champion_to_both_streams_and_hot_swaps(redis_url, tmp_path) -> None:
    redis, store, p, v1, _ = await champion_served(redis_url, tmp_path, "p1")
    await p.handle(await delivered(redis, p.keys.features, "predictor", rows(FS, 4)))
    v2, sha2 = register(store, model(FS, 2, SHRUNK), 2_000)
    await p.on_promoted(
        ModelPromoted(request_id="r", version=v2, sha256=sha2, feature_set=FS, horizon=1, metrics=METRICS)
    )
    await p.handle(await delivered(redis, p.keys.features, "predictor", rows(FS, 3, first_ts=4 * 300_000)))

    all_preds = await stream(redis, p.keys.predictions)
    assert all_preds == await stream(redis, p.keys.predictions_for("AAA"))
    caught_up = all_preds.pop(4)  # the promotion's catch-up (tests/service/test_predictor_catchup_service.py)
    assert (caught_up["ts"], caught_up["model_version"]) == (3 * 300_000, v2)
    assert [x["model_version"] for x in all_preds] == [v1] * 4 + [v2] * 3
    want = [*served_probs(store, v1, 4), *served_probs(store, v2, 3)]
    assert [x["prob_up"] for x in all_preds] == want, "each row scored by the model serving its batch"
    assert len(set(want[:4])) > 1, "probabilities depend on the features"
    X = np.array([[i / 3 - 0.5, 0.1] for i in range(3)])
    raw = store.load(v2)[0].raw_proba(X)
    assert want[4:] == SHRUNK.apply(raw).tolist(), "v2 publishes its calibrated P(up), not the raw one"
    assert want[4:] != raw.tolist()
    await redis.aclose()


async def test_refuses_model_with_other_feature_set_and_keeps_serving(redis_url, tmp_path) -> None:
    redis, store, p, v1, _ = await champion_served(redis_url, tmp_path, "p1")
    await p.handle(await delivered(redis, p.keys.features, "predictor", rows(FS, 2)))
    v2, sha2 = register(store, model(OTHER, 2), 2_000)
    await p.on_promoted(
        ModelPromoted(request_id="r", version=v2, sha256=sha2, feature_set=OTHER, horizon=1, metrics=METRICS)
    )
    assert p.served is not None
    assert p.served.version == v1
    events = await stream(redis, p.keys.events)
    assert [e["event"] for e in events] == ["model_loaded", "model_refused"]
    refused = events[1:]
    assert refused[0]["event"] == "model_refused"
    assert refused[0]["version"] == v2
    assert "differs from incoming rows" in refused[0]["reason"]

    other = await delivered(redis, p.keys.features, "predictor", rows(OTHER, 1, first_ts=10**9))
    await p.handle(other)  # rows the champion can't read: dead letter
    short = FeaturesComputed(symbol="AAA", timeframe="5m", ts=7, feature_set=FS, values=[0.1], close=1.0)
    lacking = [Entry("99-0", short.model_dump_json().encode())]
    lacking = await delivered(redis, p.keys.features, "predictor", lacking)
    await p.handle(lacking)
    dead = await stream(redis, p.keys.dlq)
    assert [d["entry_id"] for d in dead] == [other[0].id, lacking[0].id]
    assert "does not match model" in dead[0]["reason"]
    assert dead[1]["reason"] == "row has 1 values; feature set t has 2"
    assert await redis.xlen(p.keys.predictions) == 2, "only the two rows before the refusal were served"
    await redis.aclose()


async def test_a_model_on_the_rows_new_feature_set_is_loaded(redis_url, tmp_path) -> None:
    redis, store, p, _, _ = await champion_served(redis_url, tmp_path, "p1")
    await p.handle(
        await delivered(redis, p.keys.features, "predictor", rows(OTHER, 1))
    )  # the features service moved on: v1 can't read these
    v2, sha2 = register(store, model(OTHER, 2), 2_000)
    await p.on_promoted(
        ModelPromoted(request_id="r", version=v2, sha256=sha2, feature_set=OTHER, horizon=1, metrics=METRICS)
    )
    assert p.served is not None
    assert p.served.version == v2, "checked against the rows arriving, not the model it replaces"
    await redis.aclose()


async def test_tampered_artifact_is_refused(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    store = FileModelStore(tmp_path)
    p = Predictor(redis, Settings(redis_url=redis_url, home=tmp_path), store)
    v1, sha1 = register(store, model(FS, 1), 1_000)
    artifact = tmp_path / "models" / v1 / "booster.txt"
    artifact.write_bytes(artifact.read_bytes() + b"x")
    await p.on_promoted(
        ModelPromoted(request_id="r", version=v1, sha256=sha1, feature_set=FS, horizon=1, metrics=METRICS)
    )
    assert p.served is None
    assert (await stream(redis, p.keys.events))[0]["event"] == "model_refused"
    await redis.aclose()
