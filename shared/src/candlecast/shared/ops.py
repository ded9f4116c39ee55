"""What the CLI's operator commands do: retrain, rollback, tail, models, features."""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from pydantic import TypeAdapter, ValidationError
from redis.asyncio import Redis

from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.redis_streams import last_id, publish, xread
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.messages import (
    Event,
    ModelPromoted,
    ModelRejected,
    PredictionMade,
    RetrainModel,
    RollbackModel,
    TrainingFailed,
    TrainingProgress,
)
from candlecast.shared.settings import Settings

EVENT: TypeAdapter[Event] = TypeAdapter(Event)


async def retrain(settings: Settings, args: argparse.Namespace) -> int:
    command = RetrainModel(
        symbols=args.symbols,
        timeframe=args.timeframe or settings.timeframe,
        horizon=args.horizon or settings.horizon,
        trials=args.trials,
    )
    return await send(settings, command, args.follow, args.timeout)


async def rollback(settings: Settings, version: str) -> int:
    return await send(settings, RollbackModel(version=version), follow=True, wait_s=60.0)


async def send(settings: Settings, command: RetrainModel | RollbackModel, follow: bool, wait_s: float) -> int:
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
    while time.monotonic() < deadline:
        for stream, rows in await xread(redis, since, block_ms=1000, count=100):
            for entry_id, fields in rows:
                since[stream] = entry_id.decode()
                outcome = _outcome(fields.get(DATA_FIELD.encode(), b"{}"), request_id)
                if outcome is not None:
                    return outcome
    print(f"no outcome for {request_id} within {wait_s:.0f} s")
    return 3


def _outcome(data: bytes, request_id: str) -> int | None:
    try:
        event = EVENT.validate_json(data)
    except ValidationError:
        return None
    if getattr(event, "request_id", None) != request_id:
        return None
    if isinstance(event, TrainingProgress):
        print(f"  {event.stage}: {event.detail}")
        return None
    if isinstance(event, ModelPromoted):
        m = event.metrics
        print(f"promoted {event.version} (log loss {m.log_loss:.5f} vs baseline {m.baseline_log_loss:.5f})")
        return 0
    if isinstance(event, ModelRejected):
        print(f"rejected {event.version}: {event.reason}")
    elif isinstance(event, TrainingFailed):
        print(f"failed: {event.error}")
    return 1


async def tail(settings: Settings, symbol: str | None, count: int, from_start: bool) -> int:
    keys = settings.keys
    stream = keys.predictions_for(symbol) if symbol else keys.predictions
    redis = Redis.from_url(settings.url)
    cursor, left = ("0" if from_start else "$"), count or -1
    try:
        while left:
            wanted = 100 if left < 0 else min(left, 100)
            for _, rows in await xread(redis, {stream: cursor}, block_ms=1000, count=wanted):
                for entry_id, fields in rows:
                    cursor = entry_id.decode()
                    try:
                        p = PredictionMade.model_validate_json(fields.get(DATA_FIELD.encode(), b""))
                    except ValidationError:
                        continue  # someone else's entry: not ours to print
                    print(format_prediction(p))
                    left -= 1
    finally:
        await redis.aclose()
    return 0


def format_prediction(p: PredictionMade) -> str:
    when = datetime.fromtimestamp(p.ts / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
    return (
        f"{when} {p.symbol:<10} {p.timeframe} P(up in {p.horizon})={p.prob_up:.4f}  model {p.model_version}"
    )


def list_models(settings: Settings) -> int:
    store = FileModelStore(settings.home)
    champion = store.champion()
    cards = store.list()
    if not cards:
        print(f"no models under {settings.home}")
    for card in cards:
        mark = "*" if card.version == champion else " "
        m = card.metrics
        print(
            f"{mark} {card.version}  {card.feature_set.name}:{card.feature_set.hash}  h={card.horizon}"
            f"  logloss={m.log_loss:.5f} base={m.baseline_log_loss:.5f} auc={m.auc:.4f}"
            f"  {','.join(card.symbols)}"
        )
    return 0


def compute_features(args: argparse.Namespace) -> int:
    from candlecast.shared.adapters.feature_files import compute_file
    from candlecast.shared.adapters.numba_cache import clear_stale_cache
    from candlecast.shared.core import features

    clear_stale_cache()
    fs = features.get_feature_set(args.feature_set) if args.feature_set else features.DEFAULT
    started = time.monotonic()
    rows = compute_file(args.input, args.output, fs, args.timeframe)
    took = time.monotonic() - started
    print(
        f"wrote {rows} rows x {len(fs.names)} features ({fs.name}:{fs.hash}) to {args.output} in {took:.1f} s"
    )
    return 0


def demo(seconds: float) -> int:
    from candlecast.shared.demo import run_demo

    return run_demo(seconds)
