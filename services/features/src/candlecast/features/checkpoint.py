"""A series' checkpoint: a full snapshot now and then, and a journal of the bars absorbed since.

The snapshot (the kernel state, ~54 KB for `core`, and the duplicate window) is written
once `every` bars have been absorbed since the last one. In between, each batch appends
its absorbed bars to the series' journal (48 bytes a bar, exact binary floats) and sets
the last entry id, in the same commit as its rows and acks. A restarted worker loads the
snapshot and folds the journal into it with the same kernel (`advance` gives the same
state for any chunking), so it continues exactly where the old one stopped.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import orjson

from candlecast.features.series import Series, SeriesKey
from candlecast.shared.core.admission import Recent
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import FeatureSet, FeatureState, advance, new_state
from candlecast.shared.core.messages import BarClosed

FIELDS = ["state", "entry_id", "recent", "duplicates", "feature_set"]
JOURNAL = np.dtype(
    [("ts", "<i8"), ("open", "<f8"), ("high", "<f8"), ("low", "<f8"), ("close", "<f8"), ("volume", "<f8")]
)
JOURNAL_ROW = struct.Struct("<q5d")  # one JOURNAL row


@dataclass(frozen=True, slots=True)
class Writes:
    """What one batch writes for one series: hash fields, and either a new journal or an append."""

    fields: dict[str, bytes | str]
    journal: bytes  # bars to append (after a snapshot: nothing; the journal is deleted)
    snapshot: bool


def journal_bytes(bars: Sequence[BarClosed]) -> bytes:
    """The bars as JOURNAL rows (struct packs them as numpy would, and faster)."""
    pack = JOURNAL_ROW.pack
    return b"".join([pack(b.ts, b.open, b.high, b.low, b.close, b.volume) for b in bars])


def journal_bars(data: bytes, symbol: str, timeframe: str) -> Bars:
    """The journal's bars, in the order they were absorbed."""
    if len(data) % JOURNAL.itemsize:
        raise ValueError(f"journal of {len(data)} bytes is not a whole number of bars")
    rows = np.frombuffer(data, dtype=JOURNAL)
    columns = {name: np.ascontiguousarray(rows[name]) for name in JOURNAL.names or ()}
    return Bars(symbol, timeframe, **columns)


def recent_with(recent: Recent, bars: Bars) -> Recent:
    """The duplicate window after `bars` (already absorbed, so in ts order)."""
    out = Recent(recent.size, dict(recent.values))
    for ts, o, h, lo, c, v in bars.rows():
        out.add(ts, (o, h, lo, c, v))
    return out


def writes(series: Series, snapshot: bool, absorbed: Sequence[BarClosed]) -> Writes:
    """A snapshot of `series`, or the journal's new bars (`absorbed`)."""
    fields: dict[str, bytes | str] = {
        "entry_id": series.entry_id,
        "duplicates": str(series.duplicates),
        "feature_set": series.state.feature_set.hash,  # whose kernel the journal's bars are for
    }
    if snapshot:
        fields |= {"state": series.state.to_bytes(), "recent": orjson.dumps(series.recent.to_rows())}
        return Writes(fields, b"", snapshot=True)
    return Writes(fields, journal_bytes(absorbed) if absorbed else b"", snapshot=False)


def resume(
    feature_set: FeatureSet, key: SeriesKey, saved: Sequence[bytes | None], journal: bytes | None
) -> tuple[Series, str | None]:
    """A series from its saved hash fields (FIELDS order) and journal, and why it had to start afresh."""
    entry_id, duplicates = saved[1], saved[3]
    series = Series(new_state(feature_set, key[1]), entry_id.decode() if entry_id else "0-0")
    series.duplicates = int(duplicates or 0)
    try:
        _restore(series, feature_set, key, saved, journal)
    except (ValueError, OverflowError) as exc:
        fresh = Series(new_state(feature_set, key[1]), series.entry_id, duplicates=series.duplicates)
        fresh.snapshot_due = True  # the next commit replaces the unusable checkpoint
        return fresh, str(exc)
    return series, None


def _restore(
    series: Series,
    fs: FeatureSet,
    key: SeriesKey,
    saved: Sequence[bytes | None],
    journal: bytes | None,
) -> None:
    """The snapshot, then the journal's bars folded in with the kernel; ValueError if unusable."""
    blob, recent, written_by = saved[0], saved[2], saved[4]
    if written_by is not None and written_by.decode() != fs.hash:
        raise ValueError(f"checkpoint is for feature set hash {written_by.decode()}, not {fs.hash}")
    if blob is not None:
        series.state = FeatureState.from_bytes(blob, feature_set=fs, timeframe=key[1])
        series.recent = Recent.from_rows(orjson.loads(recent)) if recent else Recent()
    if journal:
        bars = journal_bars(journal, *key)
        advance(series.state, bars)  # their rows were published before: only the state matters
        series.recent = recent_with(series.recent, bars)
        series.journaled = len(bars)
