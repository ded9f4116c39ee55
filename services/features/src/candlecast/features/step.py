"""Bars in, feature rows out: the features service's pure step (no Redis, no clock).

Per-series state lives in `Series`. Each carries the id of the last bar entry it
absorbed, so a batch redelivered after a crash is recognised and skipped rather
than mistaken for out-of-order bars. Bars pass `core.admission`'s rules first:
a refused bar is dead-lettered and never advances its series.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from candlecast.shared.core.admission import Jump, Recent, Rules, duplicate_kind, jump_refusal, time_refusal
from candlecast.shared.core.admission import values_of as bar_values
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.entries import Entry, Origin, dead_letter, id_key
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.features import FeatureRows, FeatureSet, FeatureState, advance, new_state
from candlecast.shared.core.messages import BarClosed, DeadLettered, ResetSeries

SeriesKey = tuple[str, str]
DEFAULT_RULES = Rules()


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


def partition_of(symbol: str, partitions: int) -> int:
    """Stable symbol -> partition (crc32; Python's hash() is salted per process)."""
    return zlib.crc32(symbol.encode()) % partitions


def group_by_series(
    bars: Sequence[tuple[Entry, BarClosed]],
) -> dict[SeriesKey, list[tuple[Entry, BarClosed]]]:
    groups: dict[SeriesKey, list[tuple[Entry, BarClosed]]] = defaultdict(list)
    for entry, bar in bars:
        groups[bar.symbol, bar.timeframe].append((entry, bar))
    return groups


def step(
    series: dict[SeriesKey, Series],
    bars: Sequence[tuple[Entry, BarClosed]],
    feature_set: FeatureSet,
    origin: Origin,
    now_ms: int,
    rules: Rules = DEFAULT_RULES,
    resets: Sequence[tuple[Entry, ResetSeries]] = (),
) -> StepResult:
    """Advance every series in `bars` (all present in `series`); collect rows and dead letters.
    Each reset order drops its series' state in entry order, between the bars around it."""
    result = StepResult()
    rest = list(bars)
    for entry, order in sorted(resets, key=lambda r: id_key(r[0].id)):
        before = [item for item in rest if id_key(item[0].id) < id_key(entry.id)]
        rest = rest[len(before) :]
        result.merge(_advance_all(series, before, feature_set, origin, now_ms, rules))
        key = (order.symbol, order.timeframe)
        if id_key(entry.id) > id_key(series[key].entry_id):  # not already applied before a crash
            series[key] = Series(new_state(feature_set, order.timeframe), entry.id)
            result.touched.add(key)
            result.reset.add(key)
            result.absorbed.pop(key, None)  # the state after the batch is snapshotted whole
    result.merge(_advance_all(series, rest, feature_set, origin, now_ms, rules))
    return result


def _advance_all(
    series: dict[SeriesKey, Series],
    bars: Sequence[tuple[Entry, BarClosed]],
    feature_set: FeatureSet,
    origin: Origin,
    now_ms: int,
    rules: Rules,
) -> StepResult:
    result = StepResult()
    for key, items in group_by_series(bars).items():
        current = series[key]
        admit = _Admit(current, origin, now_ms, rules, result)
        fresh = [item for item in items if admit(*item)]
        if items:
            current.entry_id = items[-1][0].id
            result.touched.add(key)
        bars_in = [bar for _, bar in fresh]
        try:  # the kernel leaves the state untouched when it refuses a chunk
            rows = advance(current.state, Bars.from_messages(bars_in)) if bars_in else None
        except (ValueError, OverflowError) as exc:
            result.dead.extend(
                dead_letter(origin, e, f"feature engine refused the bar: {exc}", now_ms) for e, _ in fresh
            )
            continue
        current.recent = admit.taken  # the window already holds every absorbed bar
        if bars_in:
            result.absorbed.setdefault(key, []).extend(bars_in)
        if rows is not None:
            result.rows.extend(to_rows(key, rows, bars_in, feature_set))
    return result


class _Admit:
    """One series' admission in one batch: True for a bar to absorb, else dead-lettered or dropped."""

    def __init__(
        self, current: Series, origin: Origin, now_ms: int, rules: Rules, result: StepResult
    ) -> None:
        self.current, self.origin, self.now_ms = current, origin, now_ms
        self.rules, self.result = rules, result
        self.done = id_key(current.entry_id)
        self.last_ts = current.state.last_ts
        self.taken = Recent(current.recent.size, dict(current.recent.values))

    def __call__(self, entry: Entry, bar: BarClosed) -> bool:
        if id_key(entry.id) <= self.done:
            return False  # absorbed before a crash: redelivered
        reason = self._refusal(bar)
        if reason == "":
            self.current.duplicates += 1
            self.result.duplicates += 1
            return False
        if reason is not None:
            self.result.dead.append(dead_letter(self.origin, entry, reason, self.now_ms))
            return False
        self.last_ts = bar.ts
        self.taken.add(bar.ts, bar_values(bar))
        return True

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


def to_rows(
    key: SeriesKey, rows: FeatureRows, bars: Sequence[BarClosed], feature_set: FeatureSet
) -> list[FeatureRow]:
    """The kernel's rows, each with its bar's close; values stay numpy rows (encoded in one call each)."""
    symbol, timeframe = key
    close_at = {b.ts: b.close for b in bars}
    fs_id = feature_set.id
    return [
        FeatureRow(symbol, timeframe, ts, fs_id, values, close_at[ts])
        for ts, values in zip(rows.ts.tolist(), rows.values, strict=True)
    ]
