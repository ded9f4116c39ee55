"""Promotions, read on their own task: never behind the features backlog.

Every replica reads `models` itself (XREAD with a block, no group), so each one
sees every promotion as soon as it is appended. The features handler asks
`settled(row_id)` before each batch: a promotion appended before the batch's
newest row is applied first, so rows that came after a promotion get the new model.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import cast

from pydantic import TypeAdapter, ValidationError
from redis.asyncio import Redis

from candlecast.shared.adapters.redis_problems import redis_problem
from candlecast.shared.adapters.redis_streams import Rows, xread
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.entries import id_key
from candlecast.shared.core.messages import ModelPromoted

log = logging.getLogger("candlecast.predictor")
PROMOTED = TypeAdapter(ModelPromoted)
RETRY_S = 1.0

Apply = Callable[[ModelPromoted], Awaitable[None]]


class ModelWatcher:
    """Applies each promotion on `stream` after `cursor`, in order, one at a time."""

    def __init__(self, redis: Redis, stream: str, cursor: str, apply: Apply, block_ms: int) -> None:
        self.redis = redis
        self.stream = stream
        self.cursor = cursor  # newest entry applied (loaded or refused)
        self.apply = apply
        self.block_ms = block_ms
        self.moved = asyncio.Condition()

    async def run(self) -> None:
        """Until cancelled; a Redis error is retried, never the end of the watch."""
        while True:
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                problem = redis_problem(exc)
                if problem is None:
                    log.exception("reading %s failed; retrying in %.0f s", self.stream, RETRY_S)
                else:  # Redis away: the consumer loop says so too, one line is enough
                    log.warning("reading %s: %s; retrying in %.0f s", self.stream, problem, RETRY_S)
                await asyncio.sleep(RETRY_S)

    async def step(self) -> None:
        for _, rows in await xread(self.redis, {self.stream: self.cursor}, self.block_ms, count=10):
            for entry_id, fields in rows:
                event = _promotion(fields)
                if event is not None:
                    await self.apply(event)
                async with self.moved:
                    self.cursor = entry_id.decode()
                    self.moved.notify_all()

    async def settled(self, row_id: str) -> None:
        """Return once every promotion appended before entry `row_id` (same Redis clock) is applied."""
        before = cast("Rows", await self.redis.xrevrange(self.stream, max=row_id, min="-", count=1))
        if not before:
            return
        target = id_key(before[0][0].decode())
        async with self.moved:
            await self.moved.wait_for(lambda: id_key(self.cursor) >= target)


def _promotion(fields: dict[bytes, bytes]) -> ModelPromoted | None:
    try:
        return PROMOTED.validate_json(fields.get(DATA_FIELD.encode(), b"{}"))
    except ValidationError:
        log.warning("skipping an entry on models that is not a ModelPromoted")
        return None
