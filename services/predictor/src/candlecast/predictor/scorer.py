"""The scorer: `candlecast run scorer`. Each model's live scores, per series, on `scores`.

It reads `bars` and `predictions` in its own group (`scorer`). Both feed one in-memory
state (`core.live_scores`): a prediction is scored once the bars of its horizon and of its
forecast steps have closed. After each batch, every (series, model) with new outcomes gets
one `ScoresUpdated` (rolling log loss, Brier, hit rate, ECE, band coverage over the last
`SCORE_WINDOW` predictions), committed with the batch's acks. Run one replica: two would
each see part of each stream. The state lives in memory, so after a restart the windows
start empty and predictions whose first bar was read before it are not scored.

Beside it, in the `drift` group on `features`, the drift monitor (`drift.py`) compares the
champion's live feature rows with its training rows and raises `DriftDetected` on `events`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from functools import partial

from pydantic import Field, TypeAdapter
from redis.asyncio import Redis

from candlecast.predictor.drift import DriftMonitor, DriftSettings
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.connect import client, wait_until_up
from candlecast.shared.adapters.health import with_health
from candlecast.shared.adapters.redis_streams import Outbox, commit
from candlecast.shared.adapters.runner import Consumer, serve
from candlecast.shared.adapters.shutdown import run_until_stopped
from candlecast.shared.core.constants import GROUP_DRIFT, GROUP_SCORER
from candlecast.shared.core.entries import Entry, Origin, decode
from candlecast.shared.core.live_scores import Outcome, Series, Window
from candlecast.shared.core.messages import BarClosed, PredictionMade, ScoresUpdated
from candlecast.shared.core.timeframes import timeframe_ms

log = logging.getLogger("candlecast.scorer")
BAR = TypeAdapter(BarClosed)
PREDICTION = TypeAdapter(PredictionMade)
WindowKey = tuple[str, str, str]  # symbol, timeframe, model version


class ScorerSettings(DriftSettings):
    score_window: int = Field(default=500, ge=10, description="Predictions in each rolling score window")


class Scorer:
    """Joins predictions with the bars that came true and publishes rolling scores."""

    def __init__(self, redis: Redis, settings: ScorerSettings) -> None:
        self.redis, self.settings, self.keys = redis, settings, settings.keys
        self.series: dict[tuple[str, str], Series] = {}
        self.windows: dict[WindowKey, Window] = {}
        self.horizons: dict[WindowKey, int] = {}

    async def on_bars(self, entries: list[Entry]) -> None:
        """Closes in; bad entries are left to the features service, which dead-letters them."""
        origin = Origin(self.keys.bars, GROUP_SCORER, "scorer", self.settings.dlq_payload_chars)
        touched: set[WindowKey] = set()
        for _, bar in decode(entries, BAR, origin, now_ms(), self.settings.max_bar_bytes).ok:
            series = self._series(bar.symbol, bar.timeframe)
            touched |= self._absorb(bar.symbol, bar.timeframe, series.add_close(bar.ts, bar.close))
        await self._publish(touched, self.keys.bars, entries)

    async def on_predictions(self, entries: list[Entry]) -> None:
        origin = Origin(self.keys.predictions, GROUP_SCORER, "scorer", self.settings.dlq_payload_chars)
        touched: set[WindowKey] = set()
        for _, p in decode(entries, PREDICTION, origin, now_ms(), self.settings.max_entry_bytes).ok:
            outcomes = self._series(p.symbol, p.timeframe).add_prediction(p)
            touched |= self._absorb(p.symbol, p.timeframe, outcomes)
        await self._publish(touched, self.keys.predictions, entries)

    def _series(self, symbol: str, timeframe: str) -> Series:
        return self.series.setdefault((symbol, timeframe), Series(timeframe_ms(timeframe)))

    def _absorb(self, symbol: str, timeframe: str, outcomes: Iterable[Outcome]) -> set[WindowKey]:
        touched: set[WindowKey] = set()
        for outcome in outcomes:
            key = (symbol, timeframe, outcome.model_version)
            if self.windows.setdefault(key, Window(self.settings.score_window)).add(outcome):
                self.horizons[key] = outcome.horizon
                touched.add(key)
        return touched

    async def _publish(self, touched: set[WindowKey], stream: str, entries: list[Entry]) -> None:
        outbox = Outbox(self.settings.maxlen)
        at = now_ms()
        for key in sorted(touched):
            outbox.add(self.keys.scores, self._event(key, at))
        outbox.ack(stream, GROUP_SCORER, [e.id for e in entries])
        await commit(self.redis, outbox)

    def _event(self, key: WindowKey, at: int) -> ScoresUpdated:
        symbol, timeframe, version = key
        s = self.windows[key].scores()
        return ScoresUpdated(
            symbol=symbol, timeframe=timeframe, model_version=version, horizon=self.horizons[key],
            n=s.n, log_loss=s.log_loss, brier=s.brier, hit_rate=s.hit_rate, ece=s.ece,
            base_rate=s.base_rate, coverage=s.coverage, steps_scored=s.steps_scored,
            through_ts=s.through_ts, at=at,
        )  # fmt: skip


async def main(settings: ScorerSettings, stop: asyncio.Event) -> None:
    redis = client(settings)
    if await wait_until_up(redis, settings.url, stop, log):
        scorer = Scorer(redis, settings)
        consumers = [
            Consumer(settings.keys.bars, GROUP_SCORER, scorer.on_bars),
            Consumer(settings.keys.predictions, GROUP_SCORER, scorer.on_predictions),
            Consumer(settings.keys.features, GROUP_DRIFT, DriftMonitor(redis, settings).on_features),
        ]
        log.info(
            "scorer: predictions against bars, windows of %d; drift above PSI %.2f over %d rows%s",
            settings.score_window, settings.drift_threshold, settings.drift_window,
            " (retrain on drift)" if settings.drift_retrain else "",
        )  # fmt: skip
        await serve(redis, settings, consumers, stop)
    await redis.aclose()


def run() -> None:
    settings = ScorerSettings()
    keys = settings.keys
    groups = [(keys.bars, GROUP_SCORER), (keys.predictions, GROUP_SCORER), (keys.features, GROUP_DRIFT)]
    run_until_stopped(with_health(settings, groups, partial(main, settings)), settings.grace_s)
