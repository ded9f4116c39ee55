"""Live scores: predictions joined with the bars that came true, over a rolling window. Pure.

A prediction made after bar `ts` (close c) says P(close of bar ts + horizon * tf > c);
once both closes are known it is scored. Each forecast step is scored once the bar it
forecast has closed: was the realised close inside the served band? The closes and the
predictions may arrive in either order (a replay publishes bars far ahead of the
predictions), so both sides wait for each other.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from candlecast.shared.core.messages import PredictionMade
from candlecast.shared.core.scoring import brier, ece, log_loss

KEEP_CLOSES = 5_000  # bars of history kept per series: the longest wait of a prediction
KEEP_WAITING = 5_000  # predictions waiting for their bars per series, oldest dropped first


@dataclass(frozen=True, slots=True)
class Outcome:
    """One scored prediction: its probability, whether the close went up, its steps in the band."""

    model_version: str
    horizon: int
    ts: int
    prob_up: float
    up: bool
    inside: tuple[bool, ...]


@dataclass(slots=True)
class Series:
    """One symbol and timeframe: recent closes and the predictions still waiting for theirs."""

    tf_ms: int
    newest: int = -1
    closes: dict[int, float] = field(default_factory=dict)
    waiting: deque[PredictionMade] = field(default_factory=lambda: deque(maxlen=KEEP_WAITING))

    def add_close(self, ts: int, close: float) -> list[Outcome]:
        self.closes[ts] = close
        self.newest = max(self.newest, ts)
        if len(self.closes) > KEEP_CLOSES:
            for old in sorted(self.closes)[: len(self.closes) - KEEP_CLOSES]:
                del self.closes[old]
        return self._settle()

    def add_prediction(self, prediction: PredictionMade) -> list[Outcome]:
        self.waiting.append(prediction)
        return self._settle()

    def _settle(self) -> list[Outcome]:
        done, still = [], deque[PredictionMade](maxlen=KEEP_WAITING)
        for p in self.waiting:
            outcome = self._score(p)
            if outcome is not None:
                done.append(outcome)
            elif _last_bar(p, self.tf_ms) > self.newest:
                still.append(p)  # its bars are still to come; else one is missing (a gap): dropped
        self.waiting = still
        return done

    def _score(self, p: PredictionMade) -> Outcome | None:
        now, then = self.closes.get(p.ts), self.closes.get(p.ts + p.horizon * self.tf_ms)
        if now is None or then is None or _last_bar(p, self.tf_ms) not in self.closes:
            return None
        inside = tuple(
            s.lower.close <= self.closes[s.ts] <= s.upper.close
            for s in p.forecast
            if s.lower is not None and s.upper is not None and s.ts in self.closes
        )
        return Outcome(p.model_version, p.horizon, p.ts, p.prob_up, then > now, inside)


def _last_bar(p: PredictionMade, tf_ms: int) -> int:
    """The newest bar a prediction needs closed to be scored whole."""
    return max([p.ts + p.horizon * tf_ms, *(s.ts for s in p.forecast)])


@dataclass(frozen=True, slots=True)
class Scores:
    """Proper scores of the last `n` outcomes of one model on one series."""

    n: int
    log_loss: float
    brier: float
    hit_rate: float
    ece: float
    base_rate: float
    coverage: float | None
    steps_scored: int
    through_ts: int


@dataclass(slots=True)
class Window:
    """The last `size` outcomes of one (series, model version)."""

    size: int
    outcomes: deque[Outcome] = field(default_factory=deque)
    held: set[int] = field(default_factory=set)  # ts of the outcomes in the window

    def add(self, outcome: Outcome) -> bool:
        """Add an outcome; False if one for its ts is already in (a redelivered batch)."""
        if outcome.ts in self.held:
            return False
        self.outcomes.append(outcome)
        self.held.add(outcome.ts)
        while len(self.outcomes) > self.size:
            self.held.discard(self.outcomes.popleft().ts)
        return True

    def scores(self) -> Scores:
        p = np.array([o.prob_up for o in self.outcomes], dtype=np.float64)
        y = np.array([o.up for o in self.outcomes], dtype=np.float64)
        inside = [flag for o in self.outcomes for flag in o.inside]
        return Scores(
            n=len(p),
            log_loss=log_loss(y, p),
            brier=brier(y, p),
            hit_rate=float(np.mean((p > 0.5) == (y == 1.0))),
            ece=ece(y, p),
            base_rate=float(y.mean()),
            coverage=float(np.mean(inside)) if inside else None,
            steps_scored=len(inside),
            through_ts=max(o.ts for o in self.outcomes),
        )
