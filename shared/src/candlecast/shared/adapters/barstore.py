"""The bar store (a `BarReader`): Parquet part files per series under `{root}/bars/{timeframe}/{symbol}/`.

Rules:
- No bar is lost and each (symbol, timeframe, ts) is stored once; the first recorded row wins.
- Each append writes one new part file atomically (temp file, fsync, os.replace).
- Part names carry a sequence number and the ts range: `part-{seq}_{first_ts}_{last_ts}.parquet`,
  so an append only reads the parts whose range overlaps the new chunk.
- A lock file per series (fcntl.flock) serialises appends and compaction across processes;
  reads take it shared, so they never see a compaction half done.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from candlecast.shared.adapters.files import fsync_dir, locked
from candlecast.shared.core.bars import Bars, concat, first_per_ts
from candlecast.shared.core.constants import BARS_DIR, OHLCV
from candlecast.shared.core.timeframes import timeframe_ms

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

LOCK_FILE = ".lock"
TMP_PREFIX = ".tmp-"
PART_NAME = re.compile(r"^part-(\d+)_(-?\d+)_(-?\d+)\.parquet$")
DEFAULT_MAX_PARTS = 64


@dataclass(frozen=True, slots=True)
class Part:
    """One part file and the ts range it covers."""

    path: Path
    seq: int
    first_ts: int
    last_ts: int

    def overlaps(self, start_ts: int | None, end_ts: int | None) -> bool:
        """True when the part may hold a ts in [start_ts, end_ts)."""
        after_start = start_ts is None or self.last_ts >= start_ts
        before_end = end_ts is None or self.first_ts < end_ts
        return after_start and before_end


def _parts(folder: Path) -> list[Part]:
    """Part files of one series in recording order."""
    parts = []
    for path in folder.glob("part-*.parquet"):
        match = PART_NAME.match(path.name)
        if match:
            seq, first, last = (int(g) for g in match.groups())
            parts.append(Part(path, seq, first, last))
    return sorted(parts, key=lambda p: p.seq)


@contextmanager
def _locked(folder: Path, exclusive: bool) -> Iterator[None]:
    """Hold the series lock."""
    folder.mkdir(parents=True, exist_ok=True)
    with locked(folder / LOCK_FILE, shared=not exclusive):
        yield


def _read_part(part: Part, symbol: str, timeframe: str) -> Bars:
    table = pq.read_table(part.path)
    ts = table.column("ts").to_numpy().astype(np.int64)
    cols = [table.column(c).to_numpy().astype(np.float64) for c in OHLCV]
    return Bars(symbol, timeframe, ts, *cols)


def _drop_stored(chunk: Bars, parts: list[Part]) -> Bars:
    """Rows of a sorted chunk whose ts no part holds; reads only overlapping parts."""
    first, last = int(chunk.ts[0]), int(chunk.ts[-1])
    near = [p for p in parts if p.overlaps(first, last + 1)]
    if not near:
        return chunk
    stored = [pq.read_table(p.path, columns=["ts"]).column("ts").to_numpy() for p in near]
    return chunk.take(~np.isin(chunk.ts, np.concatenate(stored)))


def _write_part(folder: Path, seq: int, bars: Bars) -> Path:
    """Write sorted, unique bars as a part file, atomically."""
    path = folder / f"part-{seq:08d}_{int(bars.ts[0])}_{int(bars.ts[-1])}.parquet"
    table = pa.table({"ts": bars.ts, **{c: getattr(bars, c) for c in OHLCV}})
    tmp = folder / f"{TMP_PREFIX}{uuid.uuid4().hex}.parquet"
    with tmp.open("wb") as f:
        pq.write_table(table, f)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    fsync_dir(folder)
    return path


class BarStore:
    """Bars of many series, safe to append from several processes at once."""

    def __init__(self, root: Path, max_parts: int = DEFAULT_MAX_PARTS) -> None:
        self.root = root
        self.max_parts = max_parts

    def _folder(self, symbol: str, timeframe: str) -> Path:
        timeframe_ms(timeframe)  # rejects anything that is not a timeframe (and so a path)
        if not symbol:
            raise ValueError("empty symbol")
        return self.root / BARS_DIR / timeframe / quote(symbol, safe="")

    def append(self, bars: Bars) -> int:
        """Record bars; returns how many were new (not already stored)."""
        if not len(bars):
            return 0
        chunk = first_per_ts(bars)
        folder = self._folder(bars.symbol, bars.timeframe)
        with _locked(folder, exclusive=True):
            parts = _parts(folder)
            chunk = _drop_stored(chunk, parts)
            if len(chunk):
                _write_part(folder, parts[-1].seq + 1 if parts else 1, chunk)
            if len(parts) + bool(len(chunk)) > self.max_parts:
                self._compact_locked(folder, bars.symbol, bars.timeframe)
        return len(chunk)

    def read(
        self, symbol: str, timeframe: str, start_ts: int | None = None, end_ts: int | None = None
    ) -> Bars:
        """Stored bars with start_ts <= ts < end_ts (either bound optional), sorted, unique ts."""
        folder = self._folder(symbol, timeframe)
        if not folder.is_dir():
            return Bars.empty(symbol, timeframe)
        with _locked(folder, exclusive=False):
            parts = [p for p in _parts(folder) if p.overlaps(start_ts, end_ts)]
            chunks = [_read_part(p, symbol, timeframe) for p in parts]
        if not chunks:
            return Bars.empty(symbol, timeframe)
        bars = concat(chunks)
        lo = np.iinfo(np.int64).min if start_ts is None else start_ts
        hi = np.iinfo(np.int64).max if end_ts is None else end_ts
        return first_per_ts(bars.take((bars.ts >= lo) & (bars.ts < hi)))

    def last_ts(self, symbol: str, timeframe: str) -> int | None:
        """Newest stored ts of a series, from part names only; None when empty."""
        folder = self._folder(symbol, timeframe)
        parts = _parts(folder) if folder.is_dir() else []
        return max((p.last_ts for p in parts), default=None)

    def series(self, timeframe: str | None = None) -> list[tuple[str, str]]:
        """(symbol, timeframe) of every stored series, sorted."""
        base = self.root / BARS_DIR
        pattern = f"{timeframe}/*" if timeframe else "*/*"
        found = [
            (unquote(folder.name), folder.parent.name)
            for folder in base.glob(pattern)
            if folder.is_dir() and _parts(folder)
        ]
        return sorted(found)

    def compact(self, symbol: str, timeframe: str) -> None:
        """Merge a series' part files into one."""
        folder = self._folder(symbol, timeframe)
        if folder.is_dir():
            with _locked(folder, exclusive=True):
                self._compact_locked(folder, symbol, timeframe)

    def _compact_locked(self, folder: Path, symbol: str, timeframe: str) -> None:
        for tmp in folder.glob(f"{TMP_PREFIX}*"):
            tmp.unlink()  # left by a writer that died: the lock says none is running
        parts = _parts(folder)
        if len(parts) <= 1:
            return
        merged = first_per_ts(concat([_read_part(p, symbol, timeframe) for p in parts]))
        kept = _write_part(folder, parts[-1].seq, merged)
        for part in parts:
            if part.path != kept:
                part.path.unlink()
        fsync_dir(folder)
