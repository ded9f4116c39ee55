"""The features service: `candlecast run features`."""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial

from candlecast.features.settings import FeaturesSettings
from candlecast.features.worker import FeaturesWorker
from candlecast.shared.adapters.connect import client, wait_until_up
from candlecast.shared.adapters.health import with_health
from candlecast.shared.adapters.heap import freeze_startup
from candlecast.shared.adapters.numba_cache import clear_stale_cache
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.adapters.shutdown import run_until_stopped
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import FeatureSet, advance, get_feature_set, new_state

log = logging.getLogger("candlecast.features")


def warm_up(feature_set: FeatureSet, timeframe: str) -> float:
    """Load (or compile, on a first run) the kernel before the first batch waits on it."""
    started = time.monotonic()
    advance(new_state(feature_set, timeframe), Bars.empty("warm-up", timeframe))
    return time.monotonic() - started


async def main(settings: FeaturesSettings, stop: asyncio.Event) -> None:
    redis = client(settings)
    if not await wait_until_up(redis, settings.url, stop, log):
        await redis.aclose()
        return
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
    freeze_startup()  # full collections no longer stall a batch walking start-up objects
    consumer = Consumer(
        settings.keys.bars, settings.group, worker.handle, on_reset=worker.forget, prepare=worker.prepare
    )
    await serve(redis, settings, [consumer], stop)
    await redis.aclose()


def run() -> None:
    settings = FeaturesSettings()
    groups = [(settings.keys.bars, settings.group)]
    run_until_stopped(with_health(settings, groups, partial(main, settings)), settings.grace_s)
