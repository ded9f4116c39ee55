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
from candlecast.shared.core.messages import ModelPromoted
from candlecast.shared.core.model import UpModel
from candlecast.shared.settings import Settings
from tests.support.models import FS, METRICS, FakeBooster, card_draft


class FakeStore:
    """Hand-written fake of the ModelStore protocol: one model per version."""

    def __init__(self) -> None:
        self.loaded: list[str] = []

    def load(self, version: str) -> tuple[UpModel, ModelCard]:
        self.loaded.append(version)
        model = UpModel(FakeBooster(["f1"]), ("f1",), FS, 1, "5m")
        card = ModelCard(**card_draft(model, 0).model_dump(), version=version, sha256="0" * 64)
        return model, card

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
