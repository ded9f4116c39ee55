"""Prometheus metrics of a service, served on `/metrics` by `health.py`.

Labels stay few: a stream (per-symbol streams folded into one label), a group, a
service. Never a symbol, an entry id or a model version (but the served model's Info).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram, Info, disable_created_metrics
from redis.asyncio import Redis

from candlecast.shared.adapters.tasks import pause
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.messages import DeadLettered

log = logging.getLogger(__name__)

GAUGES_EVERY_S = 5.0
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TRAINING_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200)
GROUP = ("stream", "group")

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `*_created` series beside each counter and histogram

MESSAGES_IN = Counter("candlecast_messages_in", "Entries handed to a handler", GROUP)
MESSAGES_OUT = Counter("candlecast_messages_out", "Entries written to a stream by commits", ("stream",))
DEAD_LETTERED = Counter(
    "candlecast_dead_lettered", "Entries dead-lettered, by where they came from", (*GROUP, "service")
)
PENDING = Gauge("candlecast_group_pending", "Entries delivered to the group and not yet acked", GROUP)
LAG = Gauge("candlecast_group_lag", "Entries of the stream the group has not read yet", GROUP)
HANDLER_SECONDS = Histogram(
    "candlecast_handler_seconds", "Time a handler took over one batch", GROUP, buckets=LATENCY_BUCKETS
)
# labelled, so a service that serves no model exports no sample of it
MODEL = Info("candlecast_model", "The model this predictor serves", ("service",))
MODEL_REFUSALS = Counter("candlecast_model_refusals", "Promoted models this predictor refused to serve")
TRAINING_SECONDS = Histogram(
    "candlecast_training_seconds", "Time a retrain took, lock wait excluded", buckets=TRAINING_BUCKETS
)
TRAINING_TRIALS = Counter("candlecast_training_trials", "Tuning trials run by this trainer")
FEATURE_DRIFT = Gauge(
    "candlecast_feature_drift_psi_max",
    "Largest feature PSI of the champion's live rows against its training rows (scorer)",
    ("timeframe",),
)

T = TypeVar("T")
Handler = Callable[[list[Entry]], Awaitable[T]]
Add = tuple[str, bytes, str]  # an Outbox add: stream, data, source entry id ('' if none)
_PER_SYMBOL = re.compile(r"((?:^|:)predictions:)[^:]+$")


@lru_cache(maxsize=4096)
def stream_label(stream: str) -> str:
    """The stream's key, with a per-symbol stream's symbol folded (`...predictions:{symbol}`)."""
    return _PER_SYMBOL.sub(r"\1{symbol}", stream)


def timed(handle: Handler[T], stream: str, group: str) -> Handler[T]:
    """`handle`, observed by the handler latency histogram."""
    histogram = HANDLER_SECONDS.labels(stream_label(stream), group)

    async def run(entries: list[Entry]) -> T:
        started = time.perf_counter()
        try:
            return await handle(entries)
        finally:
            histogram.observe(time.perf_counter() - started)

    return run


def out_counts(adds: Sequence[Add], skipped: AbstractSet[str]) -> dict[str, int]:
    """Entries a commit wrote per stream label: every add but those whose source it skipped."""
    counts: Tally[str] = Tally()
    for stream, n in Tally(stream for stream, _, source in adds if source not in skipped).items():
        counts[stream_label(stream)] += n
    return dict(counts)


def count_commit(adds: Sequence[Add], letters: Sequence[DeadLettered], skipped: AbstractSet[str]) -> None:
    """Count what a commit wrote; `skipped` holds the source ids it found acked already."""
    for label, n in out_counts(adds, skipped).items():
        MESSAGES_OUT.labels(label).inc(n)
    dead = Tally((d.stream, d.group, d.service) for d in letters if d.entry_id not in skipped)
    for (stream, group, service), n in dead.items():
        DEAD_LETTERED.labels(stream_label(stream), group, service).inc(n)


def served(version: str, sha256: str) -> None:
    MODEL.labels("predictor").info({"version": version, "sha256": sha256})


async def refresh_groups(redis: Redis, groups: Sequence[tuple[str, str]]) -> None:
    """Pending and lag of each (stream, group), from XINFO GROUPS."""
    for stream in sorted({s for s, _ in groups}):
        infos = {_text(g["name"]): g for g in await redis.xinfo_groups(stream)}
        for s, group in groups:
            info = infos.get(group)
            if s == stream and info is not None:
                PENDING.labels(stream_label(stream), group).set(info["pending"])
                lag = info.get("lag")
                LAG.labels(stream_label(stream), group).set(math.nan if lag is None else lag)


async def watch_groups(redis: Redis, groups: Sequence[tuple[str, str]], stop: asyncio.Event) -> None:
    """`refresh_groups` every few seconds until `stop`; a failure waits for the next round."""
    while not stop.is_set():
        try:
            await refresh_groups(redis, groups)
        except Exception as exc:  # noqa: BLE001 - metrics never disturb consuming
            log.debug("refreshing group metrics failed: %r", exc)
        await pause(stop, GAUGES_EVERY_S)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
