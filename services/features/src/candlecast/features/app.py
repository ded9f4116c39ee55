"""The features service: `candlecast run features`."""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis

from candlecast.features.settings import FeaturesSettings
from candlecast.features.worker import FeaturesWorker
from candlecast.shared.adapters.numba_cache import clear_stale_cache
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import FeatureSet, advance, get_feature_set, new_state

log = logging.getLogger("candlecast.features")


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
