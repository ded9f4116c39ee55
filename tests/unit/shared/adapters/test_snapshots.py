"""Snapshots on disk: from the bar store, verified on read, every mismatch named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.snapshots import (
    SnapshotError,
    create_snapshot,
    read_snapshot,
    resolve_snapshot,
)
from candlecast.shared.core.messages import FeatureSetId
from candlecast.shared.core.timeframes import DAY_MS
from tests.support.data import real_bars

FS = FeatureSetId(name="core", version=1, hash="a" * 16)
NOW = 1_767_225_600_000


@pytest.fixture
def store(tmp_path) -> BarStore:
    bar_store = BarStore(tmp_path / "home")
    for symbol in ("BTCUSDT", "ETHUSDT"):
        bar_store.append(real_bars(symbol))
    return bar_store


def snap(store: BarStore, tmp_path, days: float = 2.0):
    return create_snapshot(store, tmp_path / "snaps", ["BTCUSDT", "ETHUSDT"], "5m", days, FS, NOW)


def test_a_snapshot_holds_the_newest_days_and_reads_back_verified(store, tmp_path) -> None:
    folder, manifest = snap(store, tmp_path)
    assert folder == tmp_path / "snaps" / manifest.id
    assert manifest.source == "store"
    assert manifest.feature_set == FS
    assert manifest.end_ts - manifest.start_ts == 2 * DAY_MS
    assert [f.rows for f in manifest.files] == [576, 576], "two days of 5m bars"
    read, series = read_snapshot(folder)
    assert read == manifest
    btc = real_bars("BTCUSDT")
    np.testing.assert_array_equal(series[0].close, btc.close[-576:])
    assert (series[0].symbol, series[1].symbol) == ("BTCUSDT", "ETHUSDT")
    on_disk = json.loads((folder / "manifest.json").read_text())
    assert on_disk["files"][0]["sha256"] == manifest.files[0].sha256
    assert len(read_bar_file(folder / "BTCUSDT_5m.parquet")[0]) == 576, "a plain bar file too"
    assert [p.name for p in (tmp_path / "snaps").iterdir()] == [manifest.id], "no temp folder left"


def test_a_changed_byte_is_a_clear_error_naming_the_file(store, tmp_path) -> None:
    folder, _ = snap(store, tmp_path)
    path = folder / "ETHUSDT_5m.parquet"
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match=r"ETHUSDT_5m\.parquet: sha256 .* differs") as err:
        read_snapshot(folder)
    assert "\n" not in str(err.value)


def test_a_missing_file_and_a_bad_manifest_are_errors(store, tmp_path) -> None:
    folder, _ = snap(store, tmp_path)
    (folder / "BTCUSDT_5m.parquet").unlink()
    (folder / "ETHUSDT_5m.parquet").unlink()
    with pytest.raises(SnapshotError, match=r"BTCUSDT_5m\.parquet: missing \(and 1 more\)"):
        read_snapshot(folder)
    (folder / "manifest.json").write_text('{"id": "x"}')
    with pytest.raises(SnapshotError, match="invalid manifest"):
        read_snapshot(folder)
    with pytest.raises(SnapshotError, match=r"no manifest\.json"):
        read_snapshot(tmp_path)


def test_a_file_linked_from_outside_the_snapshot_counts_as_missing(store, tmp_path) -> None:
    folder, _ = snap(store, tmp_path)
    path = folder / "BTCUSDT_5m.parquet"
    outside = path.rename(tmp_path / "elsewhere.parquet")
    path.symlink_to(outside)  # same bytes, but not a file of this snapshot
    with pytest.raises(SnapshotError, match=r"BTCUSDT_5m\.parquet: missing$"):
        read_snapshot(folder)


def test_unknown_symbols_and_empty_windows_are_refused(store, tmp_path) -> None:
    with pytest.raises(SnapshotError, match="no stored 5m bars for NOPE"):
        create_snapshot(store, tmp_path / "s", ["BTCUSDT", "NOPE"], "5m", 1, FS, NOW)
    with pytest.raises(SnapshotError, match="no stored 1h bars"):
        create_snapshot(store, tmp_path / "s", ["BTCUSDT"], "1h", 1, FS, NOW)
    assert not (tmp_path / "s").exists() or not list((tmp_path / "s").iterdir())


def test_resolve_takes_a_folder_or_an_id_under_home(store, tmp_path) -> None:
    home = tmp_path / "home"
    folder, manifest = create_snapshot(store, home / "snapshots", ["BTCUSDT"], "5m", 1, FS, NOW)
    assert resolve_snapshot(home, str(folder)) == folder
    assert resolve_snapshot(home, manifest.id) == folder
    with pytest.raises(SnapshotError, match="no snapshot 'nope'"):
        resolve_snapshot(home, "nope")
    with pytest.raises(SnapshotError, match="no snapshot"):
        resolve_snapshot(home, "../home")
