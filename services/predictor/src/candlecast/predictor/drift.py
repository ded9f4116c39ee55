"""The scorer's drift monitor: the champion's live feature rows against its training rows.

It reads `features` in its own group (`drift`). Rows of the champion's timeframe and feature
set (all symbols pooled) fill a rolling window of `drift_window` rows; once it holds
`drift_min_rows`, each batch computes every feature's PSI against the distribution its card
recorded (`core.drift`). Above `drift_threshold`, one `DriftDetected` goes to `events` (and,
with `drift_retrain`, one `RetrainModel` to `commands`) in the batch's commit; it is not
repeated until the largest PSI has fallen back to the threshold or a new champion is served.
The champion pointer is read once per batch; a new champion starts an empty window.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import numpy as np
from pydantic import Field
from redis.asyncio import Redis

from candlecast.shared.adapters import metrics
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.feature_wire import decode_rows
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.redis_streams import Outbox, commit
from candlecast.shared.core.arrays import F64, Index
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.constants import GROUP_DRIFT
from candlecast.shared.core.drift import Alarm, DriftWindow, FeaturePsi
from candlecast.shared.core.entries import Entry, Origin
from candlecast.shared.core.feature_rows import FeatureRow, names_of
from candlecast.shared.core.messages import DriftDetected, FeatureDrift, RetrainModel
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.drift")
TOP = 10  # features named by a DriftDetected


class DriftSettings(Settings):
    drift_threshold: float = Field(
        default=0.25, gt=0, description="Feature PSI above which drift is reported"
    )
    drift_window: int = Field(default=2_000, ge=10, description="Live feature rows in the drift window")
    drift_min_rows: int = Field(default=500, ge=1, description="Rows the window holds before PSI is computed")
    drift_retrain: bool = Field(default=False, description="Publish a RetrainModel with each DriftDetected")


@dataclass(slots=True)
class Watched:
    """The champion being watched: its card, its window and its alarm (None: nothing to compare)."""

    version: str | None
    card: ModelCard | None = None
    window: DriftWindow | None = None
    alarm: Alarm | None = None
    columns: Index | None = None  # where each of the window's features sits in a row
    width: int = 0  # values in a row of the card's feature set

    def comparable(self, row: FeatureRow) -> bool:
        """The champion's timeframe and feature set, and as many values as that set has."""
        card = self.card
        return (
            card is not None
            and row.timeframe == card.timeframe
            and row.feature_set.hash == card.feature_set_id.hash
            and len(row.values) == self.width
        )


class DriftMonitor:
    """Feeds the champion's live rows to its drift window and raises DriftDetected."""

    def __init__(self, redis: Redis, settings: DriftSettings, store: FileModelStore | None = None) -> None:
        self.redis, self.settings, self.keys = redis, settings, settings.keys
        self.store = store or FileModelStore(settings.home)
        self.origin = Origin(self.keys.features, GROUP_DRIFT, "drift", settings.dlq_payload_chars)
        self.watched = Watched(None)

    async def on_features(self, entries: list[Entry]) -> None:
        watched = await self._champion()
        decoded = decode_rows(entries, self.origin, now_ms(), self.settings.max_entry_bytes)
        outbox = Outbox(self.settings.maxlen)
        for dead in decoded.dead:
            outbox.add(self.keys.dlq, dead, dead.entry_id)
        if watched.window is not None and watched.columns is not None:
            rows = [row for _, row in decoded.ok if watched.comparable(row)]
            if rows:
                watched.window.add(matrix(rows, watched.columns))
                self._check(watched, outbox, entries[-1].id)
        outbox.ack(self.keys.features, GROUP_DRIFT, [e.id for e in entries])
        await commit(self.redis, outbox)

    def _check(self, watched: Watched, outbox: Outbox, source: str) -> None:
        """PSI once the window is full enough; a DriftDetected (and a retrain) when the alarm fires."""
        window, card, alarm = watched.window, watched.card, watched.alarm
        if window is None or card is None or alarm is None:
            return
        if window.size < min(self.settings.drift_min_rows, window.capacity):
            return
        ranked = window.ranked()
        metrics.FEATURE_DRIFT.labels(card.timeframe).set(ranked[0].psi)
        if not alarm.update(ranked[0].psi):
            return
        at = now_ms()
        outbox.add(self.keys.events, self._event(card, window.size, ranked, at), source)
        log.warning(
            "drift: model %s %s: max PSI %.3f > %.2f over %d rows; most shifted: %s",
            card.version, card.timeframe, ranked[0].psi, alarm.threshold, window.size, named(ranked[:3]),
        )  # fmt: skip
        if self.settings.drift_retrain:
            request_id = f"drift-{card.version}-{at}"
            retrain = RetrainModel(request_id=request_id, timeframe=card.timeframe, horizon=card.horizon)
            outbox.add(self.keys.commands, retrain, source)
            log.warning("drift: retrain requested (%s)", request_id)

    def _event(self, card: ModelCard, rows: int, ranked: list[FeaturePsi], at: int) -> DriftDetected:
        return DriftDetected(
            model_version=card.version, timeframe=card.timeframe, window_rows=rows,
            threshold=self.settings.drift_threshold, max_psi=ranked[0].psi,
            features=[FeatureDrift(name=f.name, psi=f.psi) for f in ranked[:TOP]], at=at,
        )  # fmt: skip

    async def _champion(self) -> Watched:
        """The champion's watch; a new one (empty window) when the pointer has moved."""
        try:
            version = await asyncio.to_thread(self.store.champion)
        except Exception as exc:  # noqa: BLE001 - an unreadable pointer pauses drift, never the scorer
            log.warning("drift: champion pointer unreadable (%s): keeping the current watch", exc)
            return self.watched
        if version != self.watched.version:
            self.watched = await self._watch(version)
        return self.watched

    async def _watch(self, version: str | None) -> Watched:
        if version is None:
            return Watched(None)
        try:
            card = await asyncio.to_thread(self.store.card, version)
        except Exception as exc:  # noqa: BLE001 - a bad card means no drift for it, not a crash
            log.warning("drift: card of %s unreadable (%s): no drift measured for it", version, exc)
            return Watched(version)
        if card.drift is None:
            log.info("drift: model %s has no training distribution in its card (retrain to add one)", version)
            return Watched(version, card)
        window = DriftWindow(card.drift, self.settings.drift_window)
        names = row_names(card)
        at = {name: i for i, name in enumerate(names)}
        if not all(name in at for name in window.names):
            log.warning("drift: model %s's card names features its feature set lacks: no drift", version)
            return Watched(version, card)
        columns = np.array([at[name] for name in window.names], dtype=np.intp)
        log.info("drift: watching model %s (%s), window %d rows", version, card.timeframe, window.capacity)
        return Watched(version, card, window, Alarm(self.settings.drift_threshold), columns, len(names))


def row_names(card: ModelCard) -> tuple[str, ...]:
    """The order of a row's values for the card's feature set (the card's own names if unknown here)."""
    return names_of(card.feature_set_id.hash) or card.feature_set.names


def matrix(rows: list[FeatureRow], columns: Index) -> F64:
    """(rows, features) in the window's feature order."""
    X = np.array([row.values for row in rows], dtype=np.float64).reshape(len(rows), -1)
    out: F64 = X[:, columns]
    return out


def named(features: list[FeaturePsi]) -> str:
    return ", ".join(f"{f.name} {f.psi:.3f}" for f in features)
