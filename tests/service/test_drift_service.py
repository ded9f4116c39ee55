"""The scorer's drift monitor on a real Redis: the champion's live rows against its training rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from redis.asyncio import Redis

from candlecast.predictor.drift import DriftMonitor
from candlecast.predictor.scorer import ScorerSettings
from candlecast.shared.adapters import metrics
from candlecast.shared.adapters.feature_wire import encode_rows
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.constants import GROUP_DRIFT
from candlecast.shared.core.drift import reference
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.messages import DriftDetected, RetrainModel
from candlecast.shared.core.model import UpModel
from tests.support.models import FS, OTHER, card_draft, tiny_booster
from tests.support.streams import delivered

pytestmark = pytest.mark.redis
NAMES = ("f1", "f2", "f3", "f4")
TF = 300_000


def promote(home: Path, now: int) -> str:
    """A champion whose card records N(0, 1) training rows for every feature."""
    model = UpModel(tiny_booster(NAMES), NAMES, FS, 1, "5m")
    train = np.random.default_rng(now).normal(size=(5_000, len(NAMES)))
    draft = card_draft(model, now).model_copy(update={"drift": reference(train, NAMES)})
    store = FileModelStore(home)
    version = store.new_version(now)
    store.save(version, model, draft)
    store.promote(version)
    return version


def rows(n: int, seed: int, shift: tuple[float, ...] = (0, 0, 0, 0), fs=FS) -> list[Entry]:
    """Rows of two symbols on the wire, values in NAMES' order (the card's, as FS is unknown here)."""
    X = np.random.default_rng(seed).normal(size=(n, len(NAMES))) + np.array(shift)
    symbols = ("AAA", "BBB")
    made = [FeatureRow(symbols[i % 2], "5m", i * TF, fs, x.tolist(), 1.0) for i, x in enumerate(X)]
    return [Entry("0-0", data) for data in encode_rows(made)]


async def feed(monitor: DriftMonitor, entries: list[Entry]) -> None:
    for start in range(0, len(entries), 200):  # batches as the consumer loop would hand them
        got = await delivered(monitor.redis, monitor.keys.features, GROUP_DRIFT, entries[start : start + 200])
        await monitor.on_features(got)


async def events(redis: Redis, stream: str) -> list[DriftDetected]:
    return [DriftDetected.model_validate_json(f[b"__data__"]) for _, f in await redis.xrange(stream)]


def psi_max() -> float:
    return float(metrics.FEATURE_DRIFT.labels("5m")._value.get())


def settings(redis_url: str, home: Path, *, retrain: bool = False) -> ScorerSettings:
    return ScorerSettings(
        redis_url=redis_url, home=home, drift_window=600, drift_min_rows=500, drift_retrain=retrain
    )


async def test_rows_drawn_like_training_raise_nothing(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    promote(tmp_path, 1_000)
    monitor = DriftMonitor(redis, settings(redis_url, tmp_path))
    await feed(monitor, rows(400, seed=1))
    assert monitor.watched.window is not None
    assert monitor.watched.window.size == 400, "below drift_min_rows: no PSI yet"
    await feed(monitor, rows(800, seed=2))
    print(f"\nPSI max, like training (600 rows): {psi_max():.4f}")
    assert psi_max() < 0.1
    assert await redis.xlen(monitor.keys.events) == 0
    assert (await redis.xpending(monitor.keys.features, GROUP_DRIFT))["pending"] == 0
    await redis.aclose()


async def test_shifted_rows_raise_one_drift_naming_the_shifted_features(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    version = promote(tmp_path, 1_000)
    monitor, keys = DriftMonitor(redis, settings(redis_url, tmp_path)), settings(redis_url, tmp_path).keys
    await feed(monitor, [*rows(50, seed=3, fs=OTHER), Entry("0-0", b"{not json")])
    assert monitor.watched.window is not None
    assert monitor.watched.window.size == 0, "another feature set's rows are skipped"
    assert await redis.xlen(keys.dlq) == 1, "only the undecodable entry is dead-lettered"

    await feed(monitor, rows(600, seed=4, shift=(0, 1.5, 0.6, 0)))
    await feed(monitor, rows(400, seed=5, shift=(0, 1.5, 0.6, 0)))  # drift persists: no second event
    (event,) = await events(redis, keys.events)
    print(f"\nPSI, shifted f2 +1.5 sd, f3 +0.6 sd: {[(f.name, round(f.psi, 3)) for f in event.features]}")
    assert (event.model_version, event.timeframe, event.window_rows) == (version, "5m", 600)
    assert [f.name for f in event.features[:2]] == ["f2", "f3"]
    assert event.max_psi == event.features[0].psi > 1.0
    assert event.features[1].psi > 0.25 > max(f.psi for f in event.features[2:])
    assert await redis.xlen(keys.commands) == 0, "drift_retrain is off by default"

    await feed(monitor, rows(600, seed=6))  # back to normal: re-armed
    await feed(monitor, rows(600, seed=7, shift=(0, 0, 0, 2.0)))
    assert [e.features[0].name for e in await events(redis, keys.events)] == ["f2", "f4"]

    new = promote(tmp_path, 2_000)  # a new champion: a fresh window, and its own event
    await feed(monitor, rows(600, seed=8, shift=(0, 0, 0, 2.0)))
    assert [e.model_version for e in await events(redis, keys.events)] == [version, version, new]
    await redis.aclose()


async def test_with_drift_retrain_one_retrain_is_ordered(redis_url, tmp_path) -> None:
    redis = Redis.from_url(redis_url)
    version = promote(tmp_path, 1_000)
    monitor = DriftMonitor(redis, settings(redis_url, tmp_path, retrain=True))
    await feed(monitor, rows(1_000, seed=9, shift=(0.8, 0, 0, 0)))
    (event,) = await events(redis, monitor.keys.events)
    (command,) = await redis.xrange(monitor.keys.commands)
    retrain = RetrainModel.model_validate(json.loads(command[1][b"__data__"]))
    assert retrain.request_id == f"drift-{version}-{event.at}"
    assert (retrain.timeframe, retrain.horizon) == ("5m", 1)
    await redis.aclose()
