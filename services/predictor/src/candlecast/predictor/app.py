"""The predictor service: `candlecast run predictor`.

Feature rows are read in the `predictor` group, so replicas share them. The
models stream is read on its own task without a group (`watcher.py`), so every
replica sees every promotion at once, whatever backlog of rows it has. A promoted
model is loaded and verified in a thread, swapped in with one reference
assignment (the batch handler reads it once per batch), then announced
(`ModelLoaded` on events).

No row is dropped for lack of a model: until the first one is loaded, the
replica reads no rows at all (its group waits at its position, so another replica
or this one later reads them), then drains its own pending rows and reads on.
Should a batch ever reach the handler without a model, it is held unacked until
one is loaded, never acked unpredicted.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import numpy as np
from redis.asyncio import Redis

from candlecast.predictor.catchup import catch_up
from candlecast.predictor.watcher import ModelWatcher
from candlecast.shared.adapters import metrics
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.connect import client, wait_until_up
from candlecast.shared.adapters.feature_wire import decode_rows
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.health import Probe, serving
from candlecast.shared.adapters.heap import freeze_startup
from candlecast.shared.adapters.prediction_wire import encode_predictions
from candlecast.shared.adapters.redis_streams import Outbox, commit, ensure_group, last_id, publish
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.adapters.shutdown import run_until_stopped
from candlecast.shared.adapters.tasks import cancel_and_wait, unless_stopped
from candlecast.shared.core.artifact import announcement_mismatch
from candlecast.shared.core.constants import GROUP_PREDICTOR
from candlecast.shared.core.entries import Decoded, Entry, Origin, dead_letter
from candlecast.shared.core.feature_rows import FeatureRow, Row
from candlecast.shared.core.messages import ModelLoaded, ModelPromoted, ModelRefused
from candlecast.shared.core.ports import ModelStore
from candlecast.shared.core.serving import Served, predict_batch, refusal, scoreable
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.predictor")


class Predictor:
    def __init__(self, redis: Redis, settings: Settings, store: ModelStore) -> None:
        self.redis = redis
        self.settings = settings
        self.store = store
        self.keys = settings.keys
        self.origin = Origin(self.keys.features, GROUP_PREDICTOR, "predictor", settings.dlq_payload_chars)
        self.served: Served | None = None
        self.loaded = asyncio.Event()  # set once any model is served
        self.rows_hash: str | None = None
        self.waiting = 0  # rows held pending right now for lack of a model
        self.watcher: ModelWatcher | None = None

    async def load_champion(self) -> None:
        """Serve the champion; an untrusted one is refused (nothing served until a good promotion)."""
        version = "(champion pointer)"
        try:
            pointed = await asyncio.to_thread(self.store.champion)
            if pointed is None:
                log.warning(
                    "no champion in %s yet: rows stay pending until one is promoted", self.settings.home
                )
                return
            version = pointed
            model, card = await asyncio.to_thread(self.store.load, version)
        except Exception as exc:  # noqa: BLE001 - an untrusted champion is refused, never a crash
            await self._refuse(version, f"load failed: {exc}")
            return
        await self._swap(Served(model, version), card.sha256)

    async def handle(self, entries: list[Entry]) -> None:
        await commit(self.redis, await self.prepare(entries))

    async def prepare(self, entries: list[Entry]) -> Outbox:
        """The batch's predictions and dead letters with its acks, ready to commit."""
        settled = await self._ask_settled(entries)  # answered while the rows decode
        decoded = self.decode_rows(entries)
        if decoded.ok:
            self.rows_hash = decoded.ok[-1][1].feature_set.hash  # what a first model is checked against
        if settled is not None:
            await settled  # promotions appended before these rows come first
        served = self.served or await self._wait_for_model(len(entries))  # one model per batch
        now = now_ms()
        outbox = Outbox(self.settings.maxlen)
        for dead in decoded.dead:
            outbox.add(self.keys.dlq, dead, dead.entry_id)
        sources, rows, X = self._usable(served, decoded.ok, outbox, now)
        batch = predict_batch(served, rows, now, X)
        for source, row, data in zip(sources, batch.rows, encode_predictions(batch), strict=True):
            # PredictionMade JSON, encoded once for both streams; written only if this commit acks
            # its row (a batch committed twice, or a row another replica took over, writes it once)
            outbox.add_data(self.keys.predictions, data, source)
            outbox.add_data(self.keys.predictions_for(row.symbol), data, source)
        outbox.ack(self.keys.features, GROUP_PREDICTOR, [e.id for e in entries])
        return outbox

    async def _ask_settled(self, entries: list[Entry]) -> asyncio.Task[None] | None:
        """`watcher.settled` for the batch, its query already sent (one loop turn) when this returns."""
        if self.watcher is None or not entries:
            return None
        task = asyncio.create_task(self.watcher.settled(entries[-1].id))
        await asyncio.sleep(0)
        return task

    def decode_rows(self, entries: list[Entry]) -> Decoded[FeatureRow]:
        """Feature rows, and dead letters for entries that are not (the handler's and the catch-up's)."""
        return decode_rows(entries, self.origin, now_ms(), self.settings.max_entry_bytes)

    async def _wait_for_model(self, n: int) -> Served:
        """Hold the batch (unacked, so the subscriber reads no further) until a model is served."""
        self.waiting += n
        log.warning("no model yet: holding %d feature rows pending until one is promoted", n)
        try:
            while self.served is None:
                await self.loaded.wait()
        finally:
            self.waiting -= n
        log.info("model %s loaded: predicting the %d rows held", self.served.version, n)
        return self.served

    def _usable(
        self, served: Served, rows: list[tuple[Entry, FeatureRow]], outbox: Outbox, now: int
    ) -> tuple[list[str], list[Row], np.ndarray]:
        """The entry ids and rows the model can score, and their matrix; the others are dead-lettered."""
        usable, refused, X = scoreable(served, [row for _, row in rows])
        for i, reason in refused:
            outbox.add(self.keys.dlq, dead_letter(self.origin, rows[i][0], reason, now), rows[i][0].id)
        skip = {i for i, _ in refused}
        return [e.id for i, (e, _) in enumerate(rows) if i not in skip], usable, X

    async def on_promoted(self, event: ModelPromoted) -> None:
        try:
            model, card = await asyncio.to_thread(self.store.load, event.version)
        except Exception as exc:  # noqa: BLE001 - any load failure is a refusal, never a crash
            await self._refuse(event.version, f"load failed: {exc}")
            return
        expected = self.rows_hash or (self.served.model.feature_set.hash if self.served else None)
        reason = refusal(expected, model) or announcement_mismatch(event, card.sha256, model)
        if reason:
            await self._refuse(event.version, reason)
            return
        before, served = self.served, Served(model, event.version)
        await self._swap(served, card.sha256)
        if before is None or before.version != served.version:  # re-promoting the served model: nothing
            await catch_up(self.redis, self.settings, served, self.decode_rows)  # the latest rows, at once

    async def _swap(self, served: Served, sha256: str) -> None:
        """Serve `served` from the next batch on, then say so on events."""
        self.served = served
        self.loaded.set()
        metrics.served(served.version, sha256)
        log.info("serving model %s", served.version)
        consumer = self.settings.consumer
        loaded = ModelLoaded(version=served.version, sha256=sha256, consumer=consumer, at=now_ms())
        await publish(self.redis, self.keys.events, loaded, self.settings.maxlen)

    async def _refuse(self, version: str, reason: str) -> None:
        """Log and announce a refusal; `version` and `reason` may echo hostile input, so both are cut."""
        version = version if len(version) <= 200 else f"{version[:200]}...[{len(version)} chars]"
        reason = reason if len(reason) <= 1_000 else f"{reason[:1_000]}...[{len(reason)} chars]"
        kept = self.served.version if self.served else "none"
        metrics.MODEL_REFUSALS.inc()
        log.error("refused model %s (%s); still serving %s", version, reason, kept)
        refused = ModelRefused(version=version, consumer=self.settings.consumer, reason=reason)
        await publish(self.redis, self.keys.events, refused, self.settings.maxlen)


async def serve_predictor(
    redis: Redis,
    settings: Settings,
    store: ModelStore,
    stop: asyncio.Event | None = None,
    probe: Probe | None = None,
) -> None:
    """Load the champion, watch `models` on its own task, then serve feature rows until stopped."""
    stop = stop or asyncio.Event()
    predictor = Predictor(redis, settings, store)
    if probe is not None:
        probe.require("no model loaded yet", lambda: predictor.served is not None)
    models_from = await last_id(redis, settings.keys.models)  # before loading: no promotion slips by
    await predictor.load_champion()
    watcher = ModelWatcher(redis, settings.keys.models, models_from, predictor.on_promoted, settings.block_ms)
    predictor.watcher = watcher
    watching = asyncio.create_task(watcher.run())
    try:
        await ensure_group(redis, settings.keys.features, GROUP_PREDICTOR)  # rows wait from here on
        if await unless_stopped(
            predictor.loaded.wait(), stop
        ):  # reading nothing meanwhile: nothing in flight
            await serve(
                redis,
                settings,
                [
                    Consumer(
                        settings.keys.features, GROUP_PREDICTOR, predictor.handle, prepare=predictor.prepare
                    )
                ],
                stop,
            )
    finally:
        await cancel_and_wait([watching])


async def main(settings: Settings, stop: asyncio.Event) -> None:
    redis = client(settings)
    try:
        async with serving(settings, [(settings.keys.features, GROUP_PREDICTOR)]) as probe:
            if await wait_until_up(redis, settings.url, stop, log):
                freeze_startup()  # full collections no longer stall a batch walking start-up objects
                await serve_predictor(redis, settings, FileModelStore(settings.home), stop, probe)
    finally:
        await redis.aclose()


def run() -> None:
    settings = Settings()
    run_until_stopped(partial(main, settings), settings.grace_s)
