"""`retrain` and `rollback`: publish a command, then (with --follow) print its progress and outcome."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from redis.asyncio import Redis

from candlecast.cli.ops.progress import ProgressView
from candlecast.shared.adapters.redis_streams import last_id, publish, xread
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.messages import (
    DEFAULT_TRIALS,
    Event,
    ModelPromoted,
    ModelRejected,
    PromoteModel,
    RetrainModel,
    RollbackModel,
    TrainingFailed,
    TrainingProgress,
)
from candlecast.shared.settings import Settings

EVENT: TypeAdapter[Event] = TypeAdapter(Event)

PROMOTED, FAILED, TIMED_OUT = 0, 1, 3


@dataclass(frozen=True, slots=True)
class RetrainOptions:
    """What the operator typed; None means the default."""

    timeframe: str | None = None
    horizon: int | None = None
    trials: int | None = None
    force: bool = False
    snapshot: str | None = None


def retrain_command(settings: Settings, symbols: Sequence[str], options: RetrainOptions) -> RetrainModel:
    """The command, with the settings' timeframe and horizon where none are given.

    Values are passed through as typed, so a bad one fails validation (one line, exit 2).
    A snapshot directory that exists here is sent as an absolute path.
    """
    snapshot = options.snapshot
    if snapshot is not None and Path(snapshot).is_dir():
        snapshot = str(Path(snapshot).resolve())
    return RetrainModel(
        symbols=list(symbols),
        timeframe=options.timeframe or settings.timeframe,
        horizon=settings.horizon if options.horizon is None else options.horizon,
        trials=DEFAULT_TRIALS if options.trials is None else options.trials,
        force=options.force,
        snapshot=snapshot,
    )


async def send(
    settings: Settings, command: RetrainModel | PromoteModel | RollbackModel, follow: bool, wait_s: float
) -> int:
    keys = settings.keys
    redis = Redis.from_url(settings.url)
    try:
        since = {
            keys.events: await last_id(redis, keys.events),
            keys.models: await last_id(redis, keys.models),
        }
        entry_id = await publish(redis, keys.commands, command, settings.maxlen)
        print(f"sent {command.command} {command.request_id} as {keys.commands} {entry_id}")
        return await follow_outcome(redis, since, command.request_id, wait_s) if follow else 0
    finally:
        await redis.aclose()


async def follow_outcome(redis: Redis, since: dict[str, str], request_id: str, wait_s: float) -> int:
    """Print this request's events; 0 on promotion, 1 on rejection or failure, 3 on timeout."""
    deadline = time.monotonic() + wait_s
    view = ProgressView()
    try:
        while time.monotonic() < deadline:
            for stream, rows in await xread(redis, since, block_ms=1000, count=100):
                for entry_id, fields in rows:
                    since[stream] = entry_id.decode()
                    outcome = _outcome(fields.get(DATA_FIELD.encode(), b"{}"), request_id, view)
                    if outcome is not None:
                        return outcome
    finally:
        view.close()
    print(f"no outcome for {request_id} within {wait_s:.0f} s")
    return TIMED_OUT


def _outcome(data: bytes, request_id: str, view: ProgressView) -> int | None:
    try:
        event = EVENT.validate_json(data)
    except ValidationError:
        return None
    if getattr(event, "request_id", None) != request_id:
        return None
    if isinstance(event, TrainingProgress):
        view.show(event)
        return None
    view.close()
    if isinstance(event, ModelPromoted):
        m = event.metrics
        print(f"promoted {event.version} (log loss {m.log_loss:.5f} vs baseline {m.baseline_log_loss:.5f})")
        return PROMOTED
    if isinstance(event, ModelRejected):
        print(f"rejected {event.version}: {event.reason}")
    elif isinstance(event, TrainingFailed):
        print(f"failed: {event.error}")
    return FAILED
