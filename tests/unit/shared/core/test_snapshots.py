"""The snapshot manifest's pure parts: window, names, id, and the checks."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.messages import FeatureSetId
from candlecast.shared.core.snapshots import (
    SnapshotFile,
    SnapshotManifest,
    checksum_problem,
    content_problem,
    describe,
    file_name,
    snapshot_id,
    window,
)
from candlecast.shared.core.timeframes import DAY_MS

FS = FeatureSetId(name="core", version=1, hash="a" * 16)
SHA = "ab" * 32


def bars(symbol: str, n: int, first: int = 0) -> Bars:
    ts = first + np.arange(n, dtype=np.int64) * 300_000
    one = np.ones(n)
    return Bars(symbol, "5m", ts, one, one, one, one, one)


def manifest(*files) -> SnapshotManifest:
    return SnapshotManifest(
        id="x", created_at=1, source="store", timeframe="5m", start_ts=0, end_ts=1,
        feature_set=FS, files=files,
    )  # fmt: skip


def test_window_ends_after_the_newest_bar_and_spans_the_days() -> None:
    assert window(10 * DAY_MS, 2, 300_000) == (8 * DAY_MS + 300_000, 10 * DAY_MS + 300_000)
    assert window(DAY_MS, 30, 60_000) == (0, DAY_MS + 60_000), "never before the epoch"
    with pytest.raises(ValueError, match="positive"):
        window(DAY_MS, 0, 60_000)


def test_file_names_are_plain() -> None:
    assert file_name("BTCUSDT", "5m") == "BTCUSDT_5m.parquet"
    assert file_name("BTC/USDT", "1h") == "4254432f55534454_1h.parquet"


def test_id_sorts_by_time_and_names_the_content() -> None:
    a = describe(bars("A", 3), "A_5m.parquet", SHA)
    b = describe(bars("B", 3), "B_5m.parquet", "cd" * 32)
    assert snapshot_id(1_767_225_600_123, [a, b]) == snapshot_id(1_767_225_600_123, [b, a])
    assert snapshot_id(1_767_225_600_123, [a]).startswith("20260101T000000123Z-")
    assert snapshot_id(1_767_225_600_123, [a]) != snapshot_id(1_767_225_600_123, [b])


def test_describe_records_rows_and_range() -> None:
    entry = describe(bars("A", 4, first=600_000), "A_5m.parquet", SHA)
    assert (entry.rows, entry.first_ts, entry.last_ts) == (4, 600_000, 1_500_000)
    with pytest.raises(ValueError, match="no bars for A"):
        describe(bars("A", 0), "A_5m.parquet", SHA)


def test_checks_name_the_file() -> None:
    entry = describe(bars("A", 4), "A_5m.parquet", SHA)
    assert checksum_problem(entry, SHA) is None
    assert checksum_problem(entry, None) == "A_5m.parquet: missing"
    assert "A_5m.parquet: sha256 cdcdcdcdcdcd... differs" in str(checksum_problem(entry, "cd" * 32))
    assert content_problem(entry, [bars("A", 4)]) is None
    assert "manifest says" in str(content_problem(entry, [bars("A", 3)]))
    assert "holds 2 series" in str(content_problem(entry, [bars("A", 4), bars("B", 4)]))


def test_manifest_refuses_repeated_series_and_paths_leaving_the_folder() -> None:
    a = describe(bars("A", 2), "A_5m.parquet", SHA)
    with pytest.raises(ValidationError, match="only once"):
        manifest(a, a)
    with pytest.raises(ValidationError, match="path"):
        SnapshotFile.model_validate({**a.model_dump(), "path": "../A_5m.parquet"})
    assert manifest(a).symbols == ("A",)
