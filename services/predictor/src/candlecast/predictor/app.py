"""The predictor service: `candlecast run predictor`.

Feature rows are read in the `predictor` group, so replicas share them; the
models stream is read without a group, so every replica sees every promotion.
A promoted model is loaded and verified in a thread, then swapped in with one
reference assignment, which the batch handler reads once per batch.
"""

from __future__ import annotations

import asyncio
import logging

from faststream.redis import RedisBroker, StreamSub
from pydantic import TypeAdapter
from redis.asyncio import Redis

from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.redis_streams import Outbox, commit, last_id, publish
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.core.constants import GROUP_PREDICTOR
from candlecast.shared.core.entries import Entry, Origin, dead_letter, decode
from candlecast.shared.core.messages import FeaturesComputed, ModelPromoted, ModelRefused
from candlecast.shared.core.ports import ModelStore
from candlecast.shared.core.serving import Served, predict, refusal, triage
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.predictor")
ROW = TypeAdapter(FeaturesComputed)
NO_MODEL_LOG_EVERY = 5_000


class Predictor:
    def __init__(self, redis: Redis, settings: Settings, store: ModelStore) -> None:
        self.redis = redis
        self.settings = settings
        self.store = store
        self.keys = settings.keys
        self.origin = Origin(self.keys.features, GROUP_PREDICTOR)
        self.served: Served | None = None
        self.rows_hash: str | None = None
        self.unserved = 0

    def load_champion(self) -> None:
        version = self.store.champion()
        if version is None:
            log.warning(
                "no champion in %s yet: publishing nothing until one is promoted",
                self.settings.home,
            )
            return
        model, _ = self.store.load(version)
        self.served = Served(model, version)
        log.info("serving champion %s", version)

    async def handle(self, entries: list[Entry]) -> None:
        served = self.served  # one model per batch; a promotion swaps between batches
        now = now_ms()
        decoded = decode(entries, ROW, self.origin, now)
        outbox = Outbox(self.settings.maxlen)
        for dead in decoded.dead:
            outbox.add(self.keys.dlq, dead)
        rows = [row for _, row in decoded.ok]
        if rows:
            self.rows_hash = rows[-1].feature_set.hash
        if served is None:
            self._say_unserved(len(rows))
        else:
            usable = self._usable(served, decoded.ok, outbox, now)
            for p in predict(served, usable, now):
                outbox.add(self.keys.predictions, p)
                outbox.add(self.keys.predictions_for(p.symbol), p)
        outbox.ack(self.keys.features, GROUP_PREDICTOR, [e.id for e in entries])
        await commit(self.redis, outbox)

    def _usable(
        self, served: Served, rows: list[tuple[Entry, FeaturesComputed]], outbox: Outbox, now: int
    ) -> list[FeaturesComputed]:
        usable, refused = triage(served, [row for _, row in rows])
        for i, reason in refused:
            outbox.add(self.keys.dlq, dead_letter(self.origin, rows[i][0], reason, now))
        return usable

    def _say_unserved(self, n: int) -> None:
        if (
            self.unserved // NO_MODEL_LOG_EVERY != (self.unserved + n) // NO_MODEL_LOG_EVERY
            or not self.unserved
        ):
            log.warning("no champion model: %d feature rows left unpredicted so far", self.unserved + n)
        self.unserved += n

    async def on_promoted(self, event: ModelPromoted) -> None:
        try:
            model, card = await asyncio.to_thread(self.store.load, event.version)
        except Exception as exc:  # noqa: BLE001 - any load failure is a refusal, never a crash
            await self._refuse(event.version, f"load failed: {exc}")
            return
        expected = self.rows_hash or (self.served.model.feature_set.hash if self.served else None)
        reason = refusal(expected, model) or _sha_mismatch(event, card.sha256)
        if reason:
            await self._refuse(event.version, reason)
            return
        self.served = Served(model, event.version)
        log.info("hot-reloaded model %s", event.version)

    async def _refuse(self, version: str, reason: str) -> None:
        kept = self.served.version if self.served else "none"
        log.error("refused model %s (%s); still serving %s", version, reason, kept)
        refused = ModelRefused(version=version, consumer=self.settings.consumer, reason=reason)
        await publish(self.redis, self.keys.events, refused, self.settings.maxlen)


def _sha_mismatch(event: ModelPromoted, sha256: str) -> str | None:
    return None if event.sha256 == sha256 else f"artifact sha256 {sha256} != announced {event.sha256}"


def follow_models(broker: RedisBroker, predictor: Predictor, from_id: str) -> None:
    """Every replica reads `models` itself (no group), from `from_id` on."""
    settings = predictor.settings
    sub = StreamSub(settings.keys.models, last_id=from_id, polling_interval=settings.block_ms)
    broker.subscriber(stream=sub)(predictor.on_promoted)


async def main(settings: Settings) -> None:
    redis = Redis.from_url(settings.url)
    predictor = Predictor(redis, settings, FileModelStore(settings.home))
    models_from = await last_id(redis, settings.keys.models)  # before loading: no promotion slips by
    await asyncio.to_thread(predictor.load_champion)

    consumer = Consumer(settings.keys.features, GROUP_PREDICTOR, predictor.handle)
    await serve(redis, settings, [consumer], extra=lambda b: follow_models(b, predictor, models_from))
    await redis.aclose()


def run() -> None:
    asyncio.run(main(Settings()))
