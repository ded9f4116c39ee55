"""The features worker: bar entries from Redis through the pure step, results committed back.

Per-series state lives in memory and is checkpointed to Redis (`checkpoint.py`: a snapshot
now and then, a journal of bars in between) in the same commit as the rows and the acks,
so a restarted worker continues exactly where this one stopped.
"""

from __future__ import annotations

import logging
from typing import cast

from pydantic import TypeAdapter
from redis.asyncio import Redis

from candlecast.features.checkpoint import FIELDS, resume, writes
from candlecast.features.series import Series, SeriesKey, StepResult
from candlecast.features.settings import FeaturesSettings
from candlecast.features.step import partition_of, step
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.feature_wire import encode_rows, names_json
from candlecast.shared.adapters.redis_streams import Outbox, commit
from candlecast.shared.core.entries import Entry, Origin, decode, id_key
from candlecast.shared.core.features import FeatureSet
from candlecast.shared.core.messages import BarClosed, DeadLettered, ResetSeries
from candlecast.shared.core.ports import Clock

log = logging.getLogger("candlecast.features")
BAR = TypeAdapter(BarClosed)
RESET = TypeAdapter(ResetSeries)


class FeaturesWorker:
    """Holds per-series state in memory, checkpointed to Redis with every batch that touches it."""

    def __init__(
        self, redis: Redis, settings: FeaturesSettings, feature_set: FeatureSet, clock: Clock = now_ms
    ) -> None:
        self.redis = redis
        self.clock = clock
        self.rules = settings.admission
        self.settings = settings
        self.feature_set = feature_set
        self.keys = settings.keys
        self.origin = Origin(self.keys.bars, settings.group, "features", settings.dlq_payload_chars)
        self.series: dict[SeriesKey, Series] = {}
        self.names_published = False

    async def handle(self, entries: list[Entry]) -> None:
        outbox = await self.prepare(entries)
        try:
            await commit(self.redis, outbox)
        except BaseException:
            self.forget()  # a retry resumes from the committed checkpoints, not from this batch
            raise

    async def prepare(self, entries: list[Entry]) -> Outbox:
        """Advance the series in memory; the rows, dead letters, checkpoints and acks to commit.

        Until that commit lands the state is ahead of Redis: if it fails, `forget` must be called.
        """
        now = self.clock()
        decoded = decode(entries, BAR, self.origin, now, self.settings.max_bar_bytes)
        resets = self._resets(entries, decoded.dead, now)
        mine = [(e, b) for e, b in decoded.ok if self._owns(b.symbol)]
        keys = {(b.symbol, b.timeframe) for _, b in mine} | {(o.symbol, o.timeframe) for _, o in resets}
        try:
            await self._load(keys)
            result = step(self.series, mine, self.feature_set, self.origin, now, self.rules, resets)
            dead = decoded.dead if self.settings.partition == 0 else []  # one copy, not one per partition
            outbox = self._outbox(entries, result, dead)
        except BaseException:
            for key in keys:  # a retry resumes from the committed checkpoint, not half-advanced state
                self.series.pop(key, None)
            raise
        self.names_published = True  # forgotten with the state if the commit fails
        if result.duplicates:
            log.info("dropped %d exact duplicate bars", result.duplicates)
        return outbox

    def forget(self) -> None:
        """Drop every series' state: the next bar of each loads its checkpoint (if Redis still has one)."""
        self.series.clear()
        self.names_published = False

    def _outbox(self, entries: list[Entry], result: StepResult, dead: list[DeadLettered]) -> Outbox:
        outbox = Outbox(self.settings.maxlen)
        if not self.names_published:  # the names of the values' order, once per (re)start
            outbox.put_hash(self.keys.feature_sets, {self.feature_set.hash: names_json(self.feature_set)})
        for data in encode_rows(result.rows):
            outbox.add_data(self.keys.features, data)
        for letter in sorted(result.dead + dead, key=lambda d: id_key(d.entry_id)):
            outbox.add(self.keys.dlq, letter, letter.entry_id)  # once, however often committed
        for key in result.touched:
            self._checkpoint(outbox, key, result)
        outbox.ack(self.keys.bars, self.settings.group, [e.id for e in entries])
        return outbox

    def _checkpoint(self, outbox: Outbox, key: SeriesKey, result: StepResult) -> None:
        """A snapshot every `checkpoint_bars` absorbed bars (and after a reset), else a journal append."""
        current, absorbed = self.series[key], result.absorbed.get(key, [])
        due = current.snapshot_due or key in result.reset
        snapshot = due or current.journaled + len(absorbed) >= self.settings.checkpoint_bars
        w = writes(current, snapshot, absorbed)
        outbox.put_hash(self.keys.feature_state(*key), w.fields)
        if w.snapshot:
            outbox.delete(self.keys.feature_journal(*key))
        elif w.journal:
            outbox.append(self.keys.feature_journal(*key), w.journal)
        # in memory now: a failed commit drops the series, which then reloads from Redis
        current.journaled = 0 if w.snapshot else current.journaled + len(absorbed)
        current.snapshot_due = False

    def _resets(
        self, entries: list[Entry], dead: list[DeadLettered], now: int
    ) -> list[tuple[Entry, ResetSeries]]:
        """Reset orders among the entries that are not bars (taken out of `dead`), for series we own."""
        maybe = [e for e in entries if b"reset_series" in e.data]
        orders = decode(maybe, RESET, self.origin, now, self.settings.max_bar_bytes).ok
        ids = {e.id for e, _ in orders}
        dead[:] = [d for d in dead if d.entry_id not in ids]
        for _, order in orders:
            log.warning("reset order for %s %s", order.symbol, order.timeframe)
        return [(e, o) for e, o in orders if self._owns(o.symbol)]

    def _owns(self, symbol: str) -> bool:
        return partition_of(symbol, self.settings.partitions) == self.settings.partition

    async def _load(self, keys: set[SeriesKey]) -> None:
        """State for series first seen by this process: its checkpoint and journal, else a fresh start."""
        new = sorted(keys - self.series.keys())
        if not new:
            return
        pipe = self.redis.pipeline(transaction=False)
        for symbol, timeframe in new:
            pipe.hmget(self.keys.feature_state(symbol, timeframe), FIELDS)
            pipe.get(self.keys.feature_journal(symbol, timeframe))
        replies = await pipe.execute()
        for i, key in enumerate(new):
            saved = cast("list[bytes | None]", replies[2 * i])
            series, problem = resume(self.feature_set, key, saved, cast("bytes | None", replies[2 * i + 1]))
            if problem is not None:
                log.warning("checkpoint of %s %s not usable (%s): warming up afresh", *key, problem)
            elif series.state.last_ts is not None:
                log.info("resumed %s %s at ts %s", *key, series.state.last_ts)
            self.series[key] = series
