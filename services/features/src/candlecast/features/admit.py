"""Which of a series' bars in a batch are absorbed, dropped as exact repeats, or dead-lettered."""

from __future__ import annotations

from candlecast.features.series import Series, SeriesKey, StepResult
from candlecast.shared.core.admission import (
    Recent,
    Rules,
    Values,
    duplicate_kind,
    jump_refusal,
    time_refusal,
)
from candlecast.shared.core.admission import values_of as bar_values
from candlecast.shared.core.entries import Entry, Origin, dead_letter, id_key
from candlecast.shared.core.messages import BarClosed, DeadLettered


class Admit:
    """One series' admission in one batch: the bars to absorb (`fresh`); the rest are dead-lettered
    (`dead`) or dropped."""

    def __init__(
        self,
        key: SeriesKey,
        current: Series,
        origin: Origin,
        now_ms: int,
        rules: Rules,
        result: StepResult,
        start: int,
    ) -> None:
        self.key, self.current, self.origin, self.now_ms = key, current, origin, now_ms
        self.rules, self.result, self.start = rules, result, start  # start: its first row in the batch
        self.done = id_key(current.entry_id)
        self.last_ts = current.state.last_ts
        self.taken = current.recent  # copied before its first change: the series keeps its own
        self.fresh: list[BarClosed] = []
        self.entries: list[Entry] = []
        self.prices: list[Values] = []
        self.dead: list[DeadLettered] = []

    def __call__(self, entry: Entry, bar: BarClosed) -> None:
        if id_key(entry.id) <= self.done:
            return  # absorbed before a crash: redelivered
        reason = self._refusal(bar)
        if reason == "":
            self.current.duplicates += 1
            self.result.duplicates += 1
        elif reason is not None:
            self.dead.append(dead_letter(self.origin, entry, reason, self.now_ms))
        else:
            self._take(entry, bar)

    def _take(self, entry: Entry, bar: BarClosed) -> None:
        if self.taken is self.current.recent:
            self.taken = Recent(self.taken.size, dict(self.taken.values))
        values = bar_values(bar)
        self.last_ts = bar.ts
        self.taken.add(bar.ts, values)
        self.fresh.append(bar)
        self.entries.append(entry)
        self.prices.append(values)

    def _refusal(self, bar: BarClosed) -> str | None:
        """None to absorb, "" for an exact duplicate (dropped), else the dead letter's reason."""
        reason = time_refusal(bar.ts, self.current.state.tf_ms, self.now_ms, self.rules)
        if reason is not None:
            return reason
        if self.last_ts is not None and bar.ts <= self.last_ts:
            kind = duplicate_kind(self.taken, bar)
            if kind == "exact":
                return ""
            if kind == "conflict":
                return f"conflicting duplicate: ts {bar.ts} is already in the series with other values"
            return f"out-of-order bar: ts {bar.ts} is not after {self.last_ts}"
        return jump_refusal(self.last_ts, bar.ts, self.current.jump, self.rules)
