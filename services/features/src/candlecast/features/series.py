"""One series' state in the features worker, and what a step over a batch gives back."""

from __future__ import annotations

from dataclasses import dataclass, field

from candlecast.shared.core.admission import Jump, Recent
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.features import FeatureState
from candlecast.shared.core.messages import BarClosed, DeadLettered

SeriesKey = tuple[str, str]


@dataclass(slots=True)
class Series:
    """One symbol/timeframe's feature state and the last entry folded into it."""

    state: FeatureState
    entry_id: str = "0-0"
    recent: Recent = field(default_factory=Recent)
    jump: Jump = field(default_factory=Jump)
    duplicates: int = 0
    journaled: int = 0  # bars absorbed since the checkpoint's last snapshot
    snapshot_due: bool = False  # the next commit writes a snapshot whatever `journaled` says


@dataclass(slots=True)
class StepResult:
    rows: list[FeatureRow] = field(default_factory=list)
    dead: list[DeadLettered] = field(default_factory=list)
    touched: set[SeriesKey] = field(default_factory=set)
    duplicates: int = 0
    absorbed: dict[SeriesKey, list[BarClosed]] = field(default_factory=dict)  # in order, per series
    reset: set[SeriesKey] = field(default_factory=set)  # series whose state a reset order replaced

    def merge(self, other: StepResult) -> None:
        self.rows += other.rows
        self.dead += other.dead
        self.touched |= other.touched
        self.duplicates += other.duplicates
        for key, bars in other.absorbed.items():
            self.absorbed.setdefault(key, []).extend(bars)
