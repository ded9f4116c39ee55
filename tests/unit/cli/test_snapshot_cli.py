"""`candlecast snapshot create|verify` in-process, on the real bars of tests/data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from candlecast.cli.main import main
from candlecast.shared.adapters.barstore import BarStore
from tests.support.data import real_bars


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path / "home"))
    store = BarStore(tmp_path / "home")
    for symbol in ("BTCUSDT", "ETHUSDT"):
        store.append(real_bars(symbol))
    return tmp_path / "home"


def only_snapshot(parent: Path) -> Path:
    (folder,) = [p for p in parent.iterdir() if not p.name.startswith(".")]
    return folder


def test_create_then_verify(home, tmp_path, capsys) -> None:
    args = ["snapshot", "create", "--symbols", "BTCUSDT,ETHUSDT", "--timeframe", "5m", "--days", "3"]
    assert main([*args, "--out", str(tmp_path / "snaps"), "--feature-set", "seed"]) == 0
    folder = only_snapshot(tmp_path / "snaps")
    manifest = json.loads((folder / "manifest.json").read_text())
    out = capsys.readouterr().out
    assert f"snapshot {manifest['id']}: 1728 bars, 2 series, in {folder}\n" in out, "piped: never wrapped"
    assert "BTCUSDT_5m.parquet" in out
    assert manifest["feature_set"]["name"] == "seed"
    assert main(["snapshot", "verify", str(folder)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: snapshot {manifest['id']}, 2 files, 1728 bars")


def test_default_folder_is_under_home(home, capsys) -> None:
    assert main(["snapshot", "create", "--symbols", "BTCUSDT", "--days", "1"]) == 0
    assert json.loads((only_snapshot(home / "snapshots") / "manifest.json").read_text())["source"] == "store"


def test_a_tampered_file_fails_verify_with_one_line(home, capsys) -> None:
    assert main(["snapshot", "create", "--symbols", "ETHUSDT", "--days", "1"]) == 0
    folder = only_snapshot(home / "snapshots")
    (folder / "ETHUSDT_5m.parquet").write_bytes(b"not parquet")
    capsys.readouterr()
    assert main(["snapshot", "verify", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "ETHUSDT_5m.parquet: sha256" in err


def test_an_unknown_symbol_is_a_one_line_usage_error(home, capsys) -> None:
    assert main(["snapshot", "create", "--symbols", "BTCUSDT,NOPE", "--days", "1"]) == 2
    assert capsys.readouterr().err.strip() == "candlecast: no stored 5m bars for NOPE"
    assert not (home / "snapshots").exists() or not list((home / "snapshots").iterdir())
