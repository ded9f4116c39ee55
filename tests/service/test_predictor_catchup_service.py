"""A promotion predicts each symbol's latest row at once, against a real Redis."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from redis.asyncio import Redis

from candlecast.predictor.app import Predictor
from candlecast.predictor.catchup import catch_up
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.messages import FeaturesComputed, ModelPromoted
from candlecast.shared.core.serving import Served
from candlecast.shared.settings import Settings
from tests.service.test_predictor_service import model, register
from tests.support.models import FS, METRICS
from tests.support.streams import delivered

pytestmark = pytest.mark.redis

TF_MS = 300_000
SYMBOLS = ("AAA", "BBB", "CCC")


def rows(symbols: tuple[str, ...], n: int, first: int = 0) -> list[Entry]:
    """n bars of each symbol, bar by bar."""
    out = []
    for i in range(first, first + n):
        for k, symbol in enumerate(symbols):
            row = FeaturesComputed(
                symbol=symbol,
                timeframe="5m",
                ts=i * TF_MS,
                feature_set=FS,
                values=[(i + k) / 10 - 0.5, 0.1],
                close=100.0,
            )
            out.append(Entry("*", row.model_dump_json().encode()))
    return out


async def predicted(p: Predictor, entries: list[Entry]) -> None:
    await p.handle(await delivered(p.redis, p.keys.features, "predictor", entries, p.settings.consumer))


async def stream(redis: Redis, key: str) -> list[dict]:
    return [json.loads(f[b"__data__"]) for _, f in await redis.xrange(key)]


def promoted(version: str, sha: str) -> ModelPromoted:
    return ModelPromoted(
        request_id="r", version=version, sha256=sha, feature_set=FS, horizon=1, metrics=METRICS
    )


async def replica(redis_url: str, home: Path, consumer: str) -> Predictor:
    settings = Settings(redis_url=redis_url, home=home, consumer=consumer)
    p = Predictor(Redis.from_url(redis_url), settings, FileModelStore(home))
    await p.load_champion()
    return p


async def serving_v1(redis_url: str, tmp_path: Path) -> tuple[FileModelStore, Predictor, str]:
    store = FileModelStore(tmp_path)
    v1, _ = register(store, model(FS, 1), 1_000)
    store.promote(v1)
    p = await replica(redis_url, tmp_path, "p1")
    await predicted(p, rows(SYMBOLS, 3))
    return store, p, v1


async def test_a_promotion_predicts_each_symbols_latest_row_once(redis_url, tmp_path) -> None:
    store, p, v1 = await serving_v1(redis_url, tmp_path)
    features_before = await p.redis.xlen(p.keys.features)
    v2, sha2 = register(store, model(FS, 2), 2_000)
    await p.on_promoted(promoted(v2, sha2))

    assert await p.redis.xlen(p.keys.features) == features_before, "no new row"
    everything = await stream(p.redis, p.keys.predictions)
    assert [x["model_version"] for x in everything] == [v1] * 9 + [v2] * 3
    assert everything[9:] == [
        x[-1] for x in [await stream(p.redis, p.keys.predictions_for(s)) for s in SYMBOLS]
    ]
    for symbol, x in zip(SYMBOLS, everything[9:], strict=True):
        assert (x["symbol"], x["timeframe"], x["ts"]) == (symbol, "5m", 2 * TF_MS)
    k = np.arange(3)
    X = np.column_stack([(2 + k) / 10 - 0.5, np.full(3, 0.1)])
    assert [x["prob_up"] for x in everything[9:]] == store.load(v2)[0].predict_proba(X).tolist()

    await p.on_promoted(promoted(v2, sha2))  # the served model again: nothing
    assert await p.redis.xlen(p.keys.predictions) == 12
    await predicted(p, rows(SYMBOLS, 1, first=3))  # then on as usual
    assert [x["model_version"] for x in await stream(p.redis, p.keys.predictions)][12:] == [v2] * 3
    await p.redis.aclose()


async def test_two_replicas_applying_one_promotion_catch_up_once(redis_url, tmp_path) -> None:
    store, p1, v1 = await serving_v1(redis_url, tmp_path)
    p2 = await replica(redis_url, tmp_path, "p2")
    v2, sha2 = register(store, model(FS, 2), 2_000)
    await asyncio.gather(p1.on_promoted(promoted(v2, sha2)), p2.on_promoted(promoted(v2, sha2)))
    v3, sha3 = register(store, model(FS, 3), 3_000)
    await p1.on_promoted(promoted(v3, sha3))
    await p2.on_promoted(promoted(v3, sha3))
    versions = [x["model_version"] for x in await stream(p1.redis, p1.keys.predictions)]
    assert versions == [v1] * 9 + [v2] * 3 + [v3] * 3
    for symbol in SYMBOLS:
        tail = await stream(p1.redis, p1.keys.predictions_for(symbol))
        assert [(x["ts"], x["model_version"]) for x in tail[2:]] == [(2 * TF_MS, v) for v in (v1, v2, v3)]
    await p1.redis.aclose()
    await p2.redis.aclose()


async def test_a_model_that_has_predicted_a_row_does_not_again(redis_url, tmp_path) -> None:
    store, p1, v1 = await serving_v1(redis_url, tmp_path)
    v2, sha2 = register(store, model(FS, 2), 2_000)
    store.promote(v2)
    p2 = await replica(redis_url, tmp_path, "p2")  # started on v2: DDD's rows are v2's
    await predicted(p2, rows(("DDD",), 2))
    await p1.on_promoted(promoted(v2, sha2))
    assert [x["symbol"] for x in (await stream(p1.redis, p1.keys.predictions))[-3:]] == list(SYMBOLS)
    assert len(await stream(p1.redis, p1.keys.predictions_for("DDD"))) == 2, "newest already by v2"

    sha1 = store.load(v1)[1].sha256  # a rollback
    before = await p1.redis.xlen(p1.keys.predictions)
    await p1.on_promoted(promoted(v1, sha1))
    assert await p1.redis.xlen(p1.keys.predictions) == before + 1, "only DDD: v1 spoke on the others' rows"
    assert (await stream(p1.redis, p1.keys.predictions_for("DDD")))[-1]["model_version"] == v1
    await p1.redis.aclose()
    await p2.redis.aclose()


async def test_a_row_further_back_than_the_cap_is_skipped(redis_url, tmp_path, caplog) -> None:
    store, p, _ = await serving_v1(redis_url, tmp_path)
    await predicted(p, rows(("ZZZ",), 5, first=10))  # 5 newer feature rows, none of AAA/BBB/CCC
    v2, _ = register(store, model(FS, 2), 2_000)
    served = Served(store.load(v2)[0], v2)
    with caplog.at_level(logging.INFO, "candlecast.predictor"):
        assert await catch_up(p.redis, p.settings, served, p.decode_rows, cap=5) == 1
    assert "skipped 3 symbols" in caplog.text
    assert f"predicted the latest row of 1 symbols with {v2}" in caplog.text
    assert (await stream(p.redis, p.keys.predictions_for("ZZZ")))[-1]["model_version"] == v2
    await p.redis.aclose()


async def test_a_failed_catch_up_leaves_the_new_model_serving(redis_url, tmp_path, caplog) -> None:
    store, p, _ = await serving_v1(redis_url, tmp_path)
    await p.redis.delete(p.keys.predictions)
    await p.redis.set(p.keys.predictions, "not a stream")
    v2, sha2 = register(store, model(FS, 2), 2_000)
    await p.on_promoted(promoted(v2, sha2))
    assert p.served is not None
    assert p.served.version == v2
    assert "catch-up for model" in caplog.text
    assert [len(await stream(p.redis, p.keys.predictions_for(s))) for s in SYMBOLS] == [3, 3, 3], (
        "nothing half-written"
    )
    await p.redis.aclose()
