"""`retrain` and `rollback`: publish a command, then (with --follow) print its progress and outcome.

After a promotion, `--follow` can also wait until a predictor announces that it
serves the new version (`ModelLoaded`): from then on, its next batch uses it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from redis.asyncio import Redis

from candlecast.cli.ops.progress import ProgressView
from candlecast.shared.adapters.connect import client
from candlecast.shared.adapters.redis_streams import last_id, publish, xread
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.messages import (
    DEFAULT_TRIALS,
    Event,
    ModelLoaded,
    ModelPromoted,
    ModelRefused,
    ModelRejected,
    PromoteModel,
    RetrainModel,
    RollbackModel,
    TrainingFailed,
    TrainingProgress,
    stream_symbol,
)
from candlecast.shared.core.timeframes import timeframe_ms
from candlecast.shared.settings import Settings

EVENT: TypeAdapter[Event] = TypeAdapter(Event)

PROMOTED, FAILED, TIMED_OUT, NOT_LOADED = 0, 1, 3, 4
Read = list[tuple[str, str, Event]]  # stream, entry id, event


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
    if options.timeframe is not None:
        timeframe_ms(options.timeframe)  # 7x: "unknown timeframe '7x': use e.g. ...", exit 2
    snapshot = options.snapshot
    if snapshot is not None and Path(snapshot).is_dir():
        snapshot = str(Path(snapshot).resolve())
    return RetrainModel(
        symbols=[stream_symbol(s) for s in symbols],  # BTC/USDT as on the streams: BTCUSDT
        timeframe=options.timeframe or settings.timeframe,
        horizon=settings.horizon if options.horizon is None else options.horizon,
        trials=DEFAULT_TRIALS if options.trials is None else options.trials,
        force=options.force,
        snapshot=snapshot,
    )


async def send(
    settings: Settings,
    command: RetrainModel | PromoteModel | RollbackModel,
    follow: bool,
    wait_s: float,
    loaded_s: float = 0.0,
    quiet: bool = False,
) -> int:
    keys = settings.keys
    redis = client(settings)
    try:
        since = {
            keys.events: await last_id(redis, keys.events),
            keys.models: await last_id(redis, keys.models),
        }
        entry_id = await publish(redis, keys.commands, command, settings.maxlen)
        print(f"sent {command.command} {command.request_id} as {keys.commands} {entry_id}")
        if not follow:
            return 0
        return await follow_outcome(redis, since, command.request_id, wait_s, loaded_s, quiet)
    finally:
        await redis.aclose()


async def follow_outcome(
    redis: Redis,
    since: dict[str, str],
    request_id: str,
    wait_s: float,
    loaded_s: float = 0.0,
    quiet: bool = False,
) -> int:
    """Print this request's events; 0 on promotion, 1 on rejection or failure, 3 on timeout.

    With `loaded_s` > 0, a promotion returns 0 only once a predictor announces the
    new version, else 4 after `loaded_s` seconds.
    """
    deadline = time.monotonic() + wait_s
    view = ProgressView(quiet=quiet)
    loaded: list[ModelLoaded] = []
    try:
        while time.monotonic() < deadline:
            for stream, entry_id, event in await _read(redis, since):
                since[stream] = entry_id
                if isinstance(event, ModelLoaded):
                    loaded.append(event)
                outcome = _outcome(event, request_id, view)
                if outcome == PROMOTED and isinstance(event, ModelPromoted) and loaded_s > 0:
                    return await wait_loaded(redis, since, event.version, loaded, loaded_s)
                if outcome is not None:
                    return outcome
    finally:
        view.close()
    print(f"no outcome for {request_id} within {wait_s:.0f} s")
    return TIMED_OUT


async def wait_loaded(
    redis: Redis, since: dict[str, str], version: str, loaded: list[ModelLoaded], wait_s: float
) -> int:
    """0 once a predictor announces `version` (printing which), 4 when none does in `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        hit = next((e for e in loaded if e.version == version), None)
        if hit is not None:
            print(f"loaded {version} by predictor {hit.consumer}")
            return PROMOTED
        if time.monotonic() >= deadline:
            print(f"no predictor announced {version} within {wait_s:.0f} s (is one running?)")
            return NOT_LOADED
        for stream, entry_id, event in await _read(redis, since):
            since[stream] = entry_id
            if isinstance(event, ModelLoaded):
                loaded.append(event)
            elif isinstance(event, ModelRefused) and event.version == version:
                print(f"refused {version} by predictor {event.consumer}: {event.reason}")


async def _read(redis: Redis, since: dict[str, str]) -> Read:
    """The next events after `since` (entries that are not events are skipped), waiting up to 1 s."""
    out: Read = []
    for stream, rows in await xread(redis, since, block_ms=1000, count=100):
        for entry_id, fields in rows:
            try:
                event = EVENT.validate_json(fields.get(DATA_FIELD.encode(), b"{}"))
            except ValidationError:
                since[stream] = entry_id.decode()  # skipped for good
                continue
            out.append((stream, entry_id.decode(), event))
    return out


def _outcome(event: Event, request_id: str, view: ProgressView) -> int | None:
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
