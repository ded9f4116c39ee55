"""Snapshots: a frozen, checksummed set of bar series to train on, described by its manifest.

Pure: the manifest model, the id, the window and the checks. Files are read and
written by `adapters.snapshots`, which hands the checksums in here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.messages import FeatureSetId, Timeframe, TsMs
from candlecast.shared.core.timeframes import DAY_MS

SNAPSHOT_SCHEMA_VERSION = 1
SOURCE_STORE = "store"
PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class SnapshotFile(BaseModel):
    """One series of the snapshot: a Parquet bar file beside the manifest."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(pattern=PLAIN_NAME.pattern, description="File name inside the snapshot folder")
    symbol: str = Field(min_length=1, description="Instrument")
    timeframe: Timeframe = Field(description="Bar length")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file's bytes")
    rows: int = Field(ge=1, description="Bars in the file")
    first_ts: TsMs = Field(description="Open time of the first bar, UTC ms")
    last_ts: TsMs = Field(description="Open time of the last bar, UTC ms")


class SnapshotManifest(BaseModel):
    """`manifest.json`: what a snapshot holds and how to check it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = Field(default=SNAPSHOT_SCHEMA_VERSION, ge=1)
    id: str = Field(pattern=PLAIN_NAME.pattern, description="Snapshot id: creation time, content digest")
    created_at: TsMs = Field(description="UTC epoch ms when it was written")
    source: str = Field(
        min_length=1, description="Where the bars came from", examples=[SOURCE_STORE, "exchange:binance"]
    )
    timeframe: Timeframe = Field(description="Bar length of every series")
    start_ts: TsMs = Field(description="Window start (inclusive), UTC ms of bar open")
    end_ts: TsMs = Field(description="Window end (exclusive), UTC ms of bar open")
    feature_set: FeatureSetId = Field(description="Feature set the snapshot is meant to train")
    files: tuple[SnapshotFile, ...] = Field(min_length=1, description="One file per series")

    @model_validator(mode="after")
    def _unique(self) -> SnapshotManifest:
        paths = [f.path for f in self.files]
        series = [(f.symbol, f.timeframe) for f in self.files]
        if len(set(paths)) != len(paths) or len(set(series)) != len(series):
            raise ValueError("each file and each series may appear only once")
        return self

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(f.symbol for f in self.files)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


def window(newest_ts: int, days: float, timeframe_ms: int) -> tuple[int, int]:
    """[start, end) covering the newest `days` days up to and including the bar at `newest_ts`."""
    if days <= 0:
        raise ValueError(f"days must be positive, got {days}")
    end = newest_ts + timeframe_ms
    return max(0, end - round(days * DAY_MS)), end


def file_name(symbol: str, timeframe: str) -> str:
    """`BTCUSDT_5m.parquet`; symbols with odd characters are hex-escaped to stay plain names."""
    safe = symbol if re.fullmatch(r"[A-Za-z0-9._-]+", symbol) else symbol.encode().hex()
    return f"{safe}_{timeframe}.parquet"


def describe(bars: Bars, path: str, sha256: str) -> SnapshotFile:
    """The manifest entry of one written, non-empty series."""
    if not len(bars):
        raise ValueError(f"no bars for {bars.symbol} {bars.timeframe}")
    return SnapshotFile(
        path=path,
        symbol=bars.symbol,
        timeframe=bars.timeframe,
        sha256=sha256,
        rows=len(bars),
        first_ts=int(bars.ts[0]),
        last_ts=int(bars.ts[-1]),
    )


def snapshot_id(created_at: int, files: Sequence[SnapshotFile]) -> str:
    """`20260101T030000123Z-3f2a9c01`: creation time, then a digest of the files' checksums."""
    digest = hashlib.sha256("".join(sorted(f.sha256 for f in files)).encode()).hexdigest()[:8]
    stamp = datetime.fromtimestamp(created_at / 1000, tz=UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}{created_at % 1000:03d}Z-{digest}"


def checksum_problem(entry: SnapshotFile, actual: str | None) -> str | None:
    """Why a file's SHA-256 (`actual`, None when the file is missing) fails its entry, or None."""
    if actual is None:
        return f"{entry.path}: missing"
    if actual != entry.sha256:
        return f"{entry.path}: sha256 {actual[:12]}... differs from the manifest's {entry.sha256[:12]}..."
    return None


def content_problem(entry: SnapshotFile, series: Sequence[Bars]) -> str | None:
    """Why a file's parsed series does not match its manifest entry, or None."""
    if len(series) != 1:
        return f"{entry.path}: holds {len(series)} series, expected 1"
    bars = series[0]
    got = (bars.symbol, bars.timeframe, len(bars), int(bars.ts[0]), int(bars.ts[-1]))
    want = (entry.symbol, entry.timeframe, entry.rows, entry.first_ts, entry.last_ts)
    if got != want:
        return f"{entry.path}: holds (symbol, timeframe, rows, first_ts, last_ts) {got}, manifest says {want}"
    return None
