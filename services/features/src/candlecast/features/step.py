"""Bars in, feature rows out: the features service's pure step (no Redis, no clock).

Per-series state lives in `Series`. Each carries the id of the last bar entry it
absorbed, so a batch redelivered after a crash is recognised and skipped rather
than mistaken for out-of-order bars.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.entries import Entry, Origin, dead_letter, id_key
from candlecast.shared.core.features import FeatureRows, FeatureSet, FeatureState, advance
from candlecast.shared.core.messages import SCHEMA_VERSION, BarClosed, DeadLettered, FeaturesComputed

SeriesKey = tuple[str, str]


@dataclass(slots=True)
class Series:
    """One symbol/timeframe's feature state and the last entry folded into it."""

    state: FeatureState
    entry_id: str = "0-0"


@dataclass(slots=True)
class StepResult:
    rows: list[FeaturesComputed] = field(default_factory=list)
    dead: list[DeadLettered] = field(default_factory=list)
    touched: set[SeriesKey] = field(default_factory=set)


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
) -> StepResult:
    """Advance every series in `bars` (all present in `series`); collect rows and dead letters."""
    result = StepResult()
    for key, items in group_by_series(bars).items():
        current = series[key]
        fresh = _in_order(current, items, origin, now_ms, result.dead)
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
        if rows is not None:
            result.rows.extend(to_messages(key, rows, bars_in, feature_set))
    return result


def _in_order(
    current: Series,
    items: list[tuple[Entry, BarClosed]],
    origin: Origin,
    now_ms: int,
    dead: list[DeadLettered],
) -> list[tuple[Entry, BarClosed]]:
    """Bars to absorb: skip entries already absorbed, dead-letter bars out of time order."""
    done = id_key(current.entry_id)
    last_ts = current.state.last_ts
    fresh: list[tuple[Entry, BarClosed]] = []
    for entry, bar in items:
        if id_key(entry.id) <= done:
            continue
        if last_ts is not None and bar.ts <= last_ts:
            reason = f"out-of-order bar: ts {bar.ts} is not after {last_ts}"
            dead.append(dead_letter(origin, entry, reason, now_ms))
            continue
        fresh.append((entry, bar))
        last_ts = bar.ts
    return fresh


def to_messages(
    key: SeriesKey, rows: FeatureRows, bars: Sequence[BarClosed], feature_set: FeatureSet
) -> list[FeaturesComputed]:
    symbol, timeframe = key
    close_at = {b.ts: b.close for b in bars}
    names = rows.names
    fs_id = feature_set.id
    return [  # built from the kernel's own output: construct, don't re-validate
        FeaturesComputed.model_construct(
            schema_version=SCHEMA_VERSION,
            symbol=symbol,
            timeframe=timeframe,
            ts=ts,
            feature_set=fs_id,
            values=dict(zip(names, values, strict=True)),
            close=close_at[ts],
        )
        for ts, values in zip(rows.ts.tolist(), rows.values.tolist(), strict=True)
    ]
