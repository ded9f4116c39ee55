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
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter

import numpy as np

from candlecast.features.admit import Admit
from candlecast.features.series import Series, SeriesKey, StepResult
from candlecast.shared.core.admission import (
    Rules,
)
from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.bars import Bars, Stacked
from candlecast.shared.core.entries import Entry, Origin, dead_letter, id_key
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.features import FeatureSet, new_state
from candlecast.shared.core.features.engine import advance_columns
from candlecast.shared.core.messages import BarClosed, ResetSeries

CLOSE = attrgetter("close")
DEFAULT_RULES = Rules()


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
    chunks: list[Admit] = []
    at = 0  # where the next series' bars start in the batch's columns
    for key, items in group_by_series(bars).items():
        admit = Admit(key, series[key], origin, now_ms, rules, result, at)
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
    def of(cls, chunks: Sequence[Admit], width: int) -> _Batch:
        ts = [bar.ts for admit in chunks for bar in admit.fresh]
        try:
            bars: Stacked | None = Stacked.of(ts, [p for admit in chunks for p in admit.prices])
        except (ValueError, OverflowError, TypeError):
            bars = None
        return cls(bars, np.empty(len(ts), dtype=np.int64), np.empty((len(ts), width), dtype=np.float64))


def _advance_chunk(admit: Admit, batch: _Batch, feature_set: FeatureSet, result: StepResult) -> None:
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
