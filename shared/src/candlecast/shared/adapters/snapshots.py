"""Snapshots on disk: `{out}/{id}/` holds one Parquet bar file per series and `manifest.json`.

Each file is a plain bar file (ts, OHLCV, symbol, timeframe), so `read_bar_file` and
`candlecast replay` read it too. A snapshot is written into a hidden folder and renamed
into place, so a reader never sees half of one. `read_snapshot` returns the series only
after every file's SHA-256, row count and ts range match the manifest.
"""

from __future__ import annotations

import io
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from candlecast.shared.adapters.barfile import bars_from_table, bars_to_table
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.files import fsync_dir, sha256_hex, write_atomic
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import MANIFEST_FILE, SNAPSHOTS_DIR
from candlecast.shared.core.messages import FeatureSetId
from candlecast.shared.core.snapshots import (
    PLAIN_NAME,
    SOURCE_STORE,
    SnapshotFile,
    SnapshotManifest,
    checksum_problem,
    content_problem,
    describe,
    file_name,
    snapshot_id,
    window,
)
from candlecast.shared.core.timeframes import timeframe_ms


class SnapshotError(ValueError):
    """A snapshot that cannot be trusted or found; the message names the file."""


def parquet_bytes(bars: Bars) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(bars_to_table([bars]), buffer)
    return buffer.getvalue()


def write_snapshot(
    out: Path,
    series: Sequence[Bars],
    source: str,
    feature_set: FeatureSetId,
    span: tuple[int, int],
    now_ms: int,
) -> tuple[Path, SnapshotManifest]:
    """Write `series` (non-empty, one timeframe) as a new snapshot under `out`; its folder and manifest."""
    timeframes = {b.timeframe for b in series}
    if len(timeframes) != 1:
        raise SnapshotError(f"a snapshot holds one timeframe, got {sorted(timeframes) or 'no series'}")
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".tmp-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        files = []
        for bars in series:
            name, data = file_name(bars.symbol, bars.timeframe), parquet_bytes(bars)
            write_atomic(tmp / name, data)
            files.append(describe(bars, name, sha256_hex(data)))
        manifest = SnapshotManifest(
            id=snapshot_id(now_ms, files),
            created_at=now_ms,
            source=source,
            timeframe=timeframes.pop(),
            start_ts=span[0],
            end_ts=span[1],
            feature_set=feature_set,
            files=tuple(files),
        )
        write_atomic(tmp / MANIFEST_FILE, manifest.model_dump_json(indent=2).encode())
        target = out / manifest.id
        tmp.rename(target)
        fsync_dir(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target, manifest


def store_series(
    store: BarStore, symbols: Sequence[str], timeframe: str, days: float
) -> tuple[list[Bars], tuple[int, int]]:
    """The newest `days` days of each series, one window for all (ending at the newest stored bar)."""
    newest = {s: store.last_ts(s, timeframe) for s in symbols}
    missing = [s for s, ts in newest.items() if ts is None]
    if missing or not symbols:
        raise SnapshotError(f"no stored {timeframe} bars for {', '.join(missing) or 'any symbol'}")
    start, end = window(max(t for t in newest.values() if t is not None), days, timeframe_ms(timeframe))
    series = [store.read(s, timeframe, start, end) for s in symbols]
    empty = [b.symbol for b in series if not len(b)]
    if empty:
        raise SnapshotError(f"no {timeframe} bars of {', '.join(empty)} in the newest {days:g} days")
    return series, (start, end)


def create_snapshot(
    store: BarStore,
    out: Path,
    symbols: Sequence[str],
    timeframe: str,
    days: float,
    feature_set: FeatureSetId,
    now_ms: int,
) -> tuple[Path, SnapshotManifest]:
    """A snapshot of the bar store's newest `days` days of `symbols`."""
    series, span = store_series(store, symbols, timeframe, days)
    return write_snapshot(out, series, SOURCE_STORE, feature_set, span, now_ms)


def resolve_snapshot(home: Path, ref: str) -> Path:
    """A snapshot directory as given, or the id of one under `home/snapshots`."""
    if Path(ref).is_dir():
        return Path(ref)
    if PLAIN_NAME.match(ref) and (home / SNAPSHOTS_DIR / ref).is_dir():
        return home / SNAPSHOTS_DIR / ref
    raise SnapshotError(f"no snapshot {ref!r}: not a directory, nor an id under {home / SNAPSHOTS_DIR}")


def read_manifest(folder: Path) -> SnapshotManifest:
    path = folder / MANIFEST_FILE
    try:
        return SnapshotManifest.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        raise SnapshotError(f"{folder}: no {MANIFEST_FILE}, not a snapshot") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise SnapshotError(f"{path}: invalid manifest at {where}: {first['msg']}") from None


def _file_bytes(folder: Path, name: str) -> bytes | None:
    path = folder / name
    if not path.is_file() or path.resolve().parent != folder.resolve():
        return None
    return path.read_bytes()


def _checked(folder: Path, entry: SnapshotFile, timeframe: str) -> Bars | str:
    """The file's series, or why it fails its manifest entry."""
    content = _file_bytes(folder, entry.path)
    problem = checksum_problem(entry, None if content is None else sha256_hex(content))
    if problem or content is None:
        return problem or f"{entry.path}: missing"
    parsed = bars_from_table(pq.read_table(pa.BufferReader(content)), timeframe)
    return content_problem(entry, parsed) or parsed[0]


def read_snapshot(path: Path) -> tuple[SnapshotManifest, list[Bars]]:
    """The manifest and its series (manifest order), after checking every file against it.

    Raises `SnapshotError` naming the first bad file (and how many more there are).
    """
    manifest = read_manifest(path)
    checked = [_checked(path, entry, manifest.timeframe) for entry in manifest.files]
    problems = [c for c in checked if isinstance(c, str)]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SnapshotError(f"snapshot {path}: {problems[0]}{more}")
    return manifest, [c for c in checked if isinstance(c, Bars)]
