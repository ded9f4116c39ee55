"""The predictor's models subscriber in memory, with FastStream's TestRedisBroker.

TestRedisBroker tracks pending messages by correlation id, which our bare-JSON
wire format does not carry, so the in-memory broker keeps FastStream's own
framing here. The JSON format and the grouped batch subscribers are tested
against a real Redis (tests/integration, test_*_service.py, tests/e2e).
"""

from __future__ import annotations

import builtins

from faststream.redis import RedisBroker, TestRedisBroker
from redis.asyncio import Redis

from candlecast.predictor.app import Predictor, follow_models
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.messages import FeatureSetId, ModelMetrics, ModelPromoted
from candlecast.shared.core.model import UpModel
from candlecast.shared.settings import Settings

FS = FeatureSetId(name="t", version=1, hash="a" * 16)
METRICS = ModelMetrics(
    log_loss=0.69,
    brier=0.25,
    auc=0.5,
    ece=0.0,
    baseline_log_loss=0.69,
    baseline_brier=0.25,
    n_train=1,
    n_holdout=1,
)


class FakeBooster:
    def feature_name(self) -> list[str]:
        return ["f1"]


class FakeStore:
    """Hand-written fake of the ModelStore protocol: one model per version."""

    def __init__(self) -> None:
        self.loaded: list[str] = []

    def load(self, version: str) -> tuple[UpModel, ModelCard]:
        self.loaded.append(version)
        card = ModelCard(
            created_at=0,
            feature_set=FS,
            horizon=1,
            timeframe="5m",
            symbols=("X",),
            params={},
            metrics=METRICS,
            train_start_ts=0,
            train_end_ts=1,
            holdout_start_ts=2,
            n_features=1,
            version=version,
            sha256="0" * 64,
        )
        return UpModel(FakeBooster(), ("f1",), FS, 1, "5m"), card

    def champion(self) -> str | None:
        return None

    def new_version(self, now_ms: int) -> str:
        raise NotImplementedError

    def save(self, version: str, model: UpModel, draft: object) -> ModelCard:
        raise NotImplementedError

    def promote(self, version: str) -> None:
        raise NotImplementedError

    def card(self, version: str) -> ModelCard:
        return self.load(version)[1]

    def list(self) -> builtins.list[ModelCard]:
        return []


async def test_promotion_event_swaps_the_served_model() -> None:
    settings = Settings(consumer="p1")
    store = FakeStore()
    predictor = Predictor(Redis(), settings, store)
    broker = RedisBroker()
    follow_models(broker, predictor, "0-0")
    event = ModelPromoted(
        request_id="r", version="v7", sha256="0" * 64, feature_set=FS, horizon=1, metrics=METRICS
    )
    async with TestRedisBroker(broker) as br:
        assert predictor.served is None
        await br.publish(event, stream=settings.keys.models)
    assert store.loaded == ["v7"]
    assert predictor.served is not None
    assert predictor.served.version == "v7"
