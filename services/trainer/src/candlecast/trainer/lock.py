"""One training at a time across trainer replicas: a Redis lock with a TTL, renewed while held.

A replica that finds the lock taken waits (its command stays pending in the group)
and retries; a replica that dies stops renewing, and the lock expires after its TTL.
Only the holder's token can renew or release it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

Waiting = Callable[[str], Awaitable[None]]


class TrainingLock:
    def __init__(self, redis: Redis, key: str, owner: str, ttl_s: float, poll_s: float = 1.0) -> None:
        self.redis = redis
        self.key = key
        self.owner = owner
        self.ttl_ms = int(ttl_s * 1000)
        self.poll_s = poll_s

    @contextlib.asynccontextmanager
    async def held(self, waiting: Waiting) -> AsyncIterator[None]:
        """Wait for the lock (calling `waiting(holder)` once if it is taken), hold it, release it."""
        token = f"{self.owner}/{uuid.uuid4().hex[:8]}"
        told = False
        while not await self.redis.set(self.key, token, nx=True, px=self.ttl_ms):
            if not told:
                holder = await self.redis.get(self.key)
                await waiting(holder.decode() if isinstance(holder, bytes) else "another replica")
                told = True
            await asyncio.sleep(self.poll_s)
        renewer = asyncio.create_task(self._renew(token))
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            await self._release(token)

    async def _renew(self, token: str) -> None:
        while True:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                kept = await self.redis.eval(RENEW, 1, self.key, token, self.ttl_ms)
            except RedisError:
                log.warning("could not renew the training lock; retrying")
                continue
            if not kept:
                log.error("training lock %s was lost (expired or taken); another training may start", token)
                return

    async def _release(self, token: str) -> None:
        try:
            await self.redis.eval(RELEASE, 1, self.key, token)
        except RedisError:
            log.warning("could not release the training lock; it expires in %d ms", self.ttl_ms)
