"""The features service: `candlecast run features`."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import cast

from pydantic import Field, TypeAdapter, model_validator
from redis.asyncio import Redis

from candlecast.features.worker import Series, SeriesKey, StepResult, partition_of, step
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.numba_cache import clear_stale_cache
from candlecast.shared.adapters.redis_streams import Outbox, commit
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import GROUP_FEATURES
from candlecast.shared.core.entries import Entry, Origin, decode, id_key
from candlecast.shared.core.features import (
    DEFAULT,
    FeatureSet,
    FeatureState,
    advance,
    get_feature_set,
    new_state,
)
from candlecast.shared.core.messages import BarClosed, DeadLettered
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.features")
BAR = TypeAdapter(BarClosed)


class FeaturesSettings(Settings):
    feature_set: str = Field(default=DEFAULT.name, description="Feature set to compute")
    partitions: int = Field(default=1, ge=1, description="Features workers sharing the symbols")
    partition: int = Field(default=0, ge=0, description="This worker's partition, 0-based")

    @model_validator(mode="after")
    def _partition_in_range(self) -> FeaturesSettings:
        if self.partition >= self.partitions:
            raise ValueError(f"partition {self.partition} is not below partitions {self.partitions}")
        return self

    @property
    def group(self) -> str:
        return GROUP_FEATURES if self.partitions == 1 else f"{GROUP_FEATURES}-p{self.partition}"


class FeaturesWorker:
    """Holds per-series state in memory, checkpointed to Redis with every batch."""

    def __init__(self, redis: Redis, settings: FeaturesSettings, feature_set: FeatureSet) -> None:
        self.redis = redis
        self.settings = settings
        self.feature_set = feature_set
        self.keys = settings.keys
        self.origin = Origin(self.keys.bars, settings.group)
        self.series: dict[SeriesKey, Series] = {}

    async def handle(self, entries: list[Entry]) -> None:
        decoded = decode(entries, BAR, self.origin, now_ms())
        mine = [(e, b) for e, b in decoded.ok if self._owns(b.symbol)]
        keys = {(b.symbol, b.timeframe) for _, b in mine}
        try:
            await self._load(keys)
            result = step(self.series, mine, self.feature_set, self.origin, now_ms())
            dead = decoded.dead if self.settings.partition == 0 else []  # one copy, not one per partition
            await commit(self.redis, self._outbox(entries, result, dead))
        except BaseException:
            for key in keys:  # a retry resumes from the committed checkpoint, not half-advanced state
                self.series.pop(key, None)
            raise
        if decoded.dead or result.dead:
            log.warning("dead-lettered %d bar entries", len(decoded.dead) + len(result.dead))

    def _outbox(self, entries: list[Entry], result: StepResult, dead: list[DeadLettered]) -> Outbox:
        outbox = Outbox(self.settings.maxlen)
        for row in result.rows:
            outbox.add(self.keys.features, row)
        for letter in sorted(result.dead + dead, key=lambda d: id_key(d.entry_id)):
            outbox.add(self.keys.dlq, letter)
        for symbol, timeframe in result.touched:
            current = self.series[symbol, timeframe]
            checkpoint: dict[str, bytes | str] = {
                "state": current.state.to_bytes(),
                "entry_id": current.entry_id,
            }
            outbox.put_hash(self.keys.feature_state(symbol, timeframe), checkpoint)
        outbox.ack(self.keys.bars, self.settings.group, [e.id for e in entries])
        return outbox

    def _owns(self, symbol: str) -> bool:
        return partition_of(symbol, self.settings.partitions) == self.settings.partition

    async def _load(self, keys: set[SeriesKey]) -> None:
        """State for series first seen by this process: its checkpoint, else a fresh start."""
        for symbol, timeframe in keys - self.series.keys():
            key = self.keys.feature_state(symbol, timeframe)
            saved = await self.redis.hmget(key, ["state", "entry_id"])
            blob, entry_id = cast("list[bytes | None]", saved)
            self.series[symbol, timeframe] = self._resume(symbol, timeframe, blob, entry_id)

    def _resume(self, symbol: str, timeframe: str, blob: bytes | None, entry_id: bytes | None) -> Series:
        fresh = Series(new_state(self.feature_set, timeframe))
        if blob is None or entry_id is None:
            return fresh
        try:
            state = FeatureState.from_bytes(blob, feature_set=self.feature_set, timeframe=timeframe)
        except ValueError as exc:
            log.warning("checkpoint of %s %s not usable (%s): warming up afresh", symbol, timeframe, exc)
            fresh.entry_id = entry_id.decode()
            return fresh
        log.info("resumed %s %s at ts %s", symbol, timeframe, state.last_ts)
        return Series(state, entry_id.decode())


def warm_up(feature_set: FeatureSet, timeframe: str) -> float:
    """Load (or compile, on a first run) the kernel before the first batch waits on it."""
    started = time.monotonic()
    advance(new_state(feature_set, timeframe), Bars.empty("warm-up", timeframe))
    return time.monotonic() - started


async def main(settings: FeaturesSettings) -> None:
    redis = Redis.from_url(settings.url)
    feature_set = get_feature_set(settings.feature_set)
    worker = FeaturesWorker(redis, settings, feature_set)
    log.info(
        "features: set %s v%d (%d features), partition %d/%d",
        feature_set.name,
        feature_set.version,
        len(feature_set.names),
        settings.partition,
        settings.partitions,
    )
    clear_stale_cache()
    took = await asyncio.to_thread(warm_up, feature_set, settings.timeframe)
    log.info("feature kernel ready in %.1f s", took)
    await serve(redis, settings, [Consumer(settings.keys.bars, settings.group, worker.handle)])
    await redis.aclose()


def run() -> None:
    asyncio.run(main(FeaturesSettings()))
