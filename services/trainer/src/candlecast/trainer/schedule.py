"""Scheduled retrains: at each cron slot, exactly one trainer replica publishes a RetrainModel.

Every replica wakes at the slot; one Lua script sets the slot's key (SET NX) and adds
the command to the commands stream together, so the winner publishes and the others
see the key and do nothing. Slots missed while no trainer ran are not made up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError

from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.wire import encode
from candlecast.shared.core.cron import next_fire, parse_cron
from candlecast.shared.core.messages import RetrainModel
from candlecast.shared.core.ports import Clock
from candlecast.trainer.settings import TrainerSettings

log = logging.getLogger(__name__)

FIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', '__data__', ARGV[4])
  return 1
end
return 0
"""
SLOT_TTL_MS = 7 * 86_400_000
MAX_NAP_S = 60.0  # re-read the clock at least this often
RETRY_S = 5.0

Sleep = Callable[[float], Awaitable[None]]


def slot_command(slot_ms: int, settings: TrainerSettings) -> RetrainModel:
    """The slot's retrain: configured symbols, default timeframe and horizon, a request id per slot."""
    stamp = datetime.fromtimestamp(slot_ms / 1000, tz=UTC).strftime("%Y%m%dT%H%MZ")
    return RetrainModel(request_id=f"cron-{stamp}", timeframe=settings.timeframe, horizon=settings.horizon)


class RetrainSchedule:
    def __init__(
        self, redis: Redis, settings: TrainerSettings, clock: Clock = now_ms, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.redis = redis
        self.settings = settings
        self.cron = parse_cron(settings.retrain_cron)
        self.clock = clock
        self.sleep = sleep

    async def fire(self, slot_ms: int) -> bool:
        """Publish the slot's retrain unless another replica already has; True if this one did."""
        keys, command = self.settings.keys, slot_command(slot_ms, self.settings)
        won = await self.redis.eval(
            FIRE, 2, keys.retrain_slot(slot_ms), keys.commands,
            self.settings.consumer, SLOT_TTL_MS, self.settings.maxlen, encode(command),
        )  # fmt: skip
        if won:
            log.info("scheduled retrain %s published", command.request_id)
        return bool(won)

    async def run(self) -> None:
        """Sleep until each slot, then fire it; runs until cancelled."""
        slot = next_fire(self.cron, self.clock())
        log.info("scheduled retrains: %r (UTC); next at %d", self.settings.retrain_cron, slot)
        while True:
            wait_ms = slot - self.clock()
            if wait_ms > 0:
                await self.sleep(min(wait_ms / 1000, MAX_NAP_S))
                continue
            try:
                await self.fire(slot)
            except RedisError:
                log.warning("could not publish the scheduled retrain; retrying", exc_info=True)
                await self.sleep(RETRY_S)
                continue
            slot = next_fire(self.cron, max(slot, self.clock()))
