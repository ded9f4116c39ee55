"""A request budget that every ingest replica shares through Redis: at most N requests to an
exchange per minute (a fixed window per UTC minute; up to 2N can land across a window edge).

Each request takes one unit (INCR on the window's key, which expires); over the budget, the
caller sleeps until the next window. ccxt's own rate limiter still paces each process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.core.constants import Keys

WINDOW_MS = 60_000


class RedisBudget:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        exchange: str,
        per_minute: int,
        *,
        clock: Callable[[], int] = now_ms,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be >= 1")
        self.redis, self.keys, self.exchange, self.per_minute = redis, keys, exchange, per_minute
        self.clock, self.sleep = clock, sleep
        self.waits = 0

    async def acquire(self) -> None:
        """Take one request from the shared budget, waiting for the next window when it is spent."""
        while True:
            now = self.clock()
            window = now // WINDOW_MS
            key = self.keys.exchange_budget(self.exchange, window)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.pexpire(key, 2 * WINDOW_MS)
                used, _ = await pipe.execute()
            if int(used) <= self.per_minute:
                return
            self.waits += 1
            await self.sleep(((window + 1) * WINDOW_MS - now) / 1000)
