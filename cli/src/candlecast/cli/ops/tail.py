"""`tail`: print predictions as they arrive (or from the oldest kept one)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError

from candlecast.shared.adapters.connect import client
from candlecast.shared.adapters.redis_streams import xread
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.messages import PredictionMade
from candlecast.shared.settings import Settings


async def tail(settings: Settings, symbol: str | None, count: int, from_start: bool) -> int:
    """Print up to `count` predictions (0: until stopped); skip entries that are not predictions."""
    keys = settings.keys
    stream = keys.predictions_for(symbol) if symbol else keys.predictions
    redis = client(settings)
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
