"""`tail`: print predictions (or live model scores) as they arrive, or from the oldest kept one."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import ValidationError

from candlecast.shared.adapters.connect import client
from candlecast.shared.adapters.redis_streams import xread
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.messages import PredictionMade
from candlecast.shared.settings import Settings

SCORES = "scores"  # `tail scores`: the scorer's stream instead of a symbol's predictions
Format = Callable[[str, bytes], str | None]  # entry id, payload -> a line, or None to skip it


def stream_of(settings: Settings, what: str | None) -> tuple[str, Format]:
    """The stream to follow and how to print its entries."""
    keys = settings.keys
    if what == SCORES:  # Keys.scores once the scorer adds it; the same name until then
        return str(getattr(keys, "scores", f"{keys.prefix}scores")), score_line
    return (keys.predictions_for(what) if what else keys.predictions), prediction_line


async def tail(settings: Settings, what: str | None, count: int, from_start: bool) -> int:
    """Print up to `count` entries (0: until Ctrl-C, within a second, exit 0); skip entries that
    aren't what the stream carries."""
    stream, line_of = stream_of(settings, what)
    redis = client(settings)
    cursor, left = ("0" if from_start else "$"), count or -1
    stop = asyncio.Event()  # Ctrl-C ends the loop: no task cancelled inside redis-py mid-read
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    try:
        while left and not stop.is_set():
            wanted = 100 if left < 0 else min(left, 100)
            for _, rows in await xread(redis, {stream: cursor}, block_ms=1000, count=wanted):
                for entry_id, fields in rows:
                    cursor = entry_id.decode()
                    line = line_of(cursor, fields.get(DATA_FIELD.encode(), b""))
                    if line is not None:
                        print(line, flush=True)
                        left -= 1
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await redis.aclose()
    return 0


def when(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def prediction_line(_entry_id: str, data: bytes) -> str | None:
    try:
        return format_prediction(PredictionMade.model_validate_json(data))
    except ValidationError:
        return None  # someone else's entry: not ours to print


def format_prediction(p: PredictionMade) -> str:
    """Time, symbol, P(up), the forecast's last step (its close band) and the model, on one line."""
    return (
        f"{when(p.ts)} {p.symbol:<10} {p.timeframe} P(up in {p.horizon})={p.prob_up:.4f}"
        f"{forecast_band(p)}  model {p.model_version}"
    )


def forecast_band(p: PredictionMade) -> str:
    if not p.forecast:
        return ""
    last, steps = p.forecast[-1], len(p.forecast)
    if last.lower is None or last.upper is None:
        return f"  close +{steps}: {last.close:.6g}"
    return f"  close +{steps}: {last.close:.6g} [{last.lower.close:.6g}, {last.upper.close:.6g}]"


SCORE_FIELDS = ("n", "log_loss", "brier", "hit_rate", "ece", "coverage")


def score_line(entry_id: str, data: bytes) -> str | None:
    """A score event's known fields in a fixed order; any it lacks are left out."""
    try:
        event = json.loads(data)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    ts = event.get("ts")
    stamp = when(ts if isinstance(ts, int) else int(entry_id.split("-", maxsplit=1)[0]))
    head = f"{stamp} {event.get('symbol', '?')!s:<10} model {event.get('model_version', '?')}"
    cells = [f"{name} {value_text(event[name])}" for name in SCORE_FIELDS if name in event]
    return "  ".join([head, *cells])


def value_text(value: object) -> str:
    """0.6931 for a float; `0.8: 0.79` pairs for a dict (coverage per band); as is otherwise."""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    return str(value)
