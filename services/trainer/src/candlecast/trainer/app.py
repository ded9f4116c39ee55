"""The trainer service: `candlecast run trainer`.

Commands are read in the `trainer` group. Training runs in a worker thread, so
the event loop keeps running (heartbeats, progress events, the lock's renewal)
while it fits; the command is acked only after its outcome is published. One
training runs at a time across replicas (`lock.py`); a retrain command waits,
pending, for its turn. `schedule.py` publishes the scheduled retrains.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from time import perf_counter

from pydantic import TypeAdapter
from redis.asyncio import Redis

from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.connect import client, wait_until_up
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.health import with_health
from candlecast.shared.adapters.metrics import TRAINING_SECONDS, TRAINING_TRIALS
from candlecast.shared.adapters.numba_cache import clear_stale_cache
from candlecast.shared.adapters.redis_streams import Outbox, commit, publish
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.adapters.shutdown import run_until_stopped
from candlecast.shared.adapters.snapshots import resolve_snapshot
from candlecast.shared.adapters.tasks import cancel_and_wait
from candlecast.shared.core.constants import GROUP_TRAINER
from candlecast.shared.core.entries import Entry, Origin, clip, decode
from candlecast.shared.core.features import get_feature_set
from candlecast.shared.core.messages import (
    Command,
    ModelPromoted,
    ModelRejected,
    PromoteModel,
    RetrainModel,
    RollbackModel,
    TrainingFailed,
    TrainingProgress,
)
from candlecast.trainer import champion
from candlecast.trainer.commands import CommandError, command_problem, failed_for, with_symbols
from candlecast.trainer.lock import TrainingLock
from candlecast.trainer.schedule import RetrainSchedule
from candlecast.trainer.settings import TrainerSettings

log = logging.getLogger("candlecast.trainer")
COMMAND: TypeAdapter[Command] = TypeAdapter(Command)


class Trainer:
    def __init__(self, redis: Redis, settings: TrainerSettings) -> None:
        self.redis = redis
        self.settings = settings
        self.keys = settings.keys
        self.bars = BarStore(settings.home)
        self.models = FileModelStore(settings.home)
        self.feature_set = get_feature_set(settings.feature_set)
        self.origin = Origin(self.keys.commands, GROUP_TRAINER, "trainer", settings.dlq_payload_chars)
        self.lock = TrainingLock(redis, self.keys.training_lock, settings.consumer, settings.lock_ttl_s)

    async def handle(self, entries: list[Entry]) -> None:
        decoded = decode(entries, COMMAND, self.origin, now_ms(), self.settings.max_command_bytes)
        for entry, command in decoded.ok:
            outbox = Outbox(self.settings.maxlen)
            await self._run(command, outbox, entry.id)
            outbox.ack(self.keys.commands, GROUP_TRAINER, [entry.id])
            await commit(self.redis, outbox)
        if decoded.dead:
            outbox = Outbox(self.settings.maxlen)
            for dead in decoded.dead:
                outbox.add(self.keys.dlq, dead, dead.entry_id)
                failed = failed_for(dead)
                if failed is not None:
                    outbox.add(self.keys.events, failed, dead.entry_id)
            outbox.ack(self.keys.commands, GROUP_TRAINER, [d.entry_id for d in decoded.dead])
            await commit(self.redis, outbox)

    async def _run(
        self, command: RetrainModel | PromoteModel | RollbackModel, outbox: Outbox, source: str
    ) -> None:
        """Carry out `command`; its event is written only by the commit that acks `source`."""
        log.info("command %s (%s)", command.command, command.request_id)
        try:
            outcome: ModelPromoted | ModelRejected
            if isinstance(command, RetrainModel):
                outcome = await self._retrain_in_turn(command)
            elif isinstance(command, PromoteModel):
                outcome = await asyncio.to_thread(champion.promote, command, self.models)
            else:
                outcome = await asyncio.to_thread(champion.rollback, command, self.models)
        except Exception as exc:
            log.exception("command %s failed", command.request_id)
            failed = TrainingFailed(request_id=command.request_id, error=clip(str(exc)))
            outbox.add(self.keys.events, failed, source)
            return
        stream = self.keys.models if isinstance(outcome, ModelPromoted) else self.keys.events
        outbox.add(stream, outcome, source)
        log.info("%s: %s", outcome.event, outcome.version)

    async def _retrain_in_turn(self, command: RetrainModel) -> ModelPromoted | ModelRejected:
        """Check the command, wait for the training lock, train while holding it."""
        command = with_symbols(command, self.settings.symbols)
        if command.snapshot:
            snapshot = resolve_snapshot(self.settings.home, command.snapshot)
            command = command.model_copy(update={"snapshot": str(snapshot.resolve())})
        stored = await asyncio.to_thread(self.bars.series, command.timeframe)
        problem = command_problem(command, stored, self.settings.max_symbols)
        if problem:
            raise CommandError(problem)

        async def queued(holder: str) -> None:
            detail = f"waiting for the training held by {holder}"
            event = TrainingProgress(request_id=command.request_id, stage="queued", detail=detail)
            await publish(self.redis, self.keys.events, event, self.settings.maxlen)

        async with self.lock.held(queued):
            with TRAINING_SECONDS.time():
                return await asyncio.to_thread(self._retrain, command, asyncio.get_running_loop())

    def _retrain(
        self, command: RetrainModel, loop: asyncio.AbstractEventLoop
    ) -> ModelPromoted | ModelRejected:
        from candlecast.trainer.job import retrain  # heavy (LightGBM, Optuna, plots): not at start-up

        report = EventReport(self, command.request_id, loop)
        config = self.settings.train_config()
        fs = self.feature_set
        return retrain(command, self.bars, self.models, fs, config, report, now_ms, perf_counter)

    def publish_from_thread(self, event: TrainingProgress, loop: asyncio.AbstractEventLoop) -> None:
        coro = publish(self.redis, self.keys.events, event, self.settings.maxlen)
        asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=10)


class EventReport:
    """A run's stages and tuning trials as TrainingProgress events (from the worker thread)."""

    def __init__(self, trainer: Trainer, request_id: str, loop: asyncio.AbstractEventLoop) -> None:
        self.trainer, self.request_id, self.loop = trainer, request_id, loop

    def stage(self, stage: str, detail: str) -> None:
        log.info("[%s] %s: %s", self.request_id[:8], stage, detail)
        event = TrainingProgress(request_id=self.request_id, stage=stage, detail=detail)
        self.trainer.publish_from_thread(event, self.loop)

    def trial(self, trial: int, trials: int, best_value: float | None) -> None:
        TRAINING_TRIALS.inc()
        best = "none yet" if best_value is None else f"{best_value:.5f}"
        event = TrainingProgress(
            request_id=self.request_id, stage="tune", detail=f"trial {trial}/{trials}, best log loss {best}",
            trial=trial, trials=trials, best_value=best_value,
        )  # fmt: skip
        self.trainer.publish_from_thread(event, self.loop)


async def main(settings: TrainerSettings, stop: asyncio.Event) -> None:
    redis = client(settings)
    if not await wait_until_up(redis, settings.url, stop, log):
        await redis.aclose()
        return
    clear_stale_cache()
    trainer = Trainer(redis, settings)
    schedule = asyncio.create_task(RetrainSchedule(redis, settings).run()) if settings.retrain_cron else None
    try:
        await serve(redis, settings, [Consumer(settings.keys.commands, GROUP_TRAINER, trainer.handle)], stop)
    finally:
        if schedule is not None:
            await cancel_and_wait([schedule])
    await redis.aclose()


def run() -> None:
    settings = TrainerSettings()
    groups = [(settings.keys.commands, GROUP_TRAINER)]
    run_until_stopped(with_health(settings, groups, partial(main, settings)), settings.grace_s)
