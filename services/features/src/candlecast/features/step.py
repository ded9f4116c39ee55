"""Bars in, feature rows out: the features service's pure step (no Redis, no clock).

Per-series state lives in `Series`. Each carries the id of the last bar entry it
absorbed, so a batch redelivered after a crash is recognised and skipped rather
than mistaken for out-of-order bars. Bars pass `core.admission`'s rules first:
a refused bar is dead-lettered and never advances its series.

A batch's admitted bars, all series together, go into one set of columns and one
output buffer; each series runs the kernel over its own slice of them (a live batch
holds one bar of each of many series, so per-series overhead is what costs).
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter

import numpy as np

from candlecast.shared.core.admission import (
    Jump,
    Recent,
    Rules,
    Values,
    duplicate_kind,
    jump_refusal,
    time_refusal,
)
from candlecast.shared.core.admission import values_of as bar_values
from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.bars import Bars, Stacked
from candlecast.shared.core.entries import Entry, Origin, dead_letter, id_key
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.features import FeatureSet, FeatureState, new_state
from candlecast.shared.core.features.engine import advance_columns
from candlecast.shared.core.messages import BarClosed, DeadLettered, ResetSeries

SeriesKey = tuple[str, str]
CLOSE = attrgetter("close")
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
    """Admit each series' bars, build the batch's columns once, then advance series by series."""
    result = StepResult()
    chunks: list[_Admit] = []
    at = 0  # where the next series' bars start in the batch's columns
    for key, items in group_by_series(bars).items():
        admit = _Admit(key, series[key], origin, now_ms, rules, result, at)
        for entry, bar in items:
            admit(entry, bar)
        admit.current.entry_id = items[-1][0].id
        result.touched.add(key)
        chunks.append(admit)
        at += len(admit.fresh)
    batch = _Batch.of(chunks, len(feature_set.names))
    for admit in chunks:
        result.dead += admit.dead
        if admit.fresh:
            _advance_chunk(admit, batch, feature_set, result)
        else:
            admit.current.recent = admit.taken
    return result


@dataclass(frozen=True, slots=True)
class _Batch:
    """The admitted bars of every series in one set of columns, and room for their rows."""

    bars: Stacked | None  # None when a bar does not fit the columns: each series is built alone
    out_ts: I64
    out: F64

    @classmethod
    def of(cls, chunks: Sequence[_Admit], width: int) -> _Batch:
        ts = [bar.ts for admit in chunks for bar in admit.fresh]
        try:
            bars: Stacked | None = Stacked.of(ts, [p for admit in chunks for p in admit.prices])
        except (ValueError, OverflowError, TypeError):
            bars = None
        return cls(bars, np.empty(len(ts), dtype=np.int64), np.empty((len(ts), width), dtype=np.float64))


def _advance_chunk(admit: _Admit, batch: _Batch, feature_set: FeatureSet, result: StepResult) -> None:
    """One series' admitted bars through the kernel: rows, or dead letters if it refuses them."""
    current, fresh, at = admit.current, admit.fresh, admit.start
    n, width = len(fresh), current.state.sel.shape[0]
    out = batch.out[at:] if width == batch.out.shape[1] else np.empty((n, width), dtype=np.float64)
    try:  # the kernel leaves the state untouched when it refuses a chunk
        if batch.bars is None:  # contiguous int64 and float64 columns too (or OverflowError)
            columns = Bars.from_messages(fresh).columns()
        else:
            columns = batch.bars.columns(at, at + n)
        m = advance_columns(current.state, *admit.key, columns, batch.out_ts[at:], out)
    except (ValueError, OverflowError) as exc:
        reason = f"feature engine refused the bar: {exc}"
        result.dead.extend(dead_letter(admit.origin, e, reason, admit.now_ms) for e in admit.entries)
        return
    current.recent = admit.taken  # the window already holds every absorbed bar
    result.absorbed.setdefault(admit.key, []).extend(fresh)
    result.rows += to_rows(admit.key, batch.out_ts[at : at + m], out[:m], fresh, feature_set)


class _Admit:
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


def to_rows(
    key: SeriesKey, ts: I64, values: F64, bars: Sequence[BarClosed], feature_set: FeatureSet
) -> list[FeatureRow]:
    """The kernel's rows (`ts`, `values`) for `bars`, each with its bar's close; values stay numpy
    rows (encoded in one call each)."""
    stamps = ts.tolist()
    if len(stamps) == len(bars):  # a row for every bar (warm-up over, no long gap), in order
        closes = list(map(CLOSE, bars))
    else:
        close_at = {b.ts: b.close for b in bars}
        closes = [close_at[t] for t in stamps]
    n, (symbol, timeframe) = len(stamps), key
    return list(
        map(
            FeatureRow,
            repeat(symbol, n),
            repeat(timeframe, n),
            stamps,
            repeat(feature_set.id, n),
            values,
            closes,
        )
    )
