"""`candlecast models show` in-process, and the generic card rendering."""

from __future__ import annotations

import json

from candlecast.cli.main import main
from candlecast.cli.ops.card_view import flatten, text
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.model import UpModel
from tests.support.models import FS, FakeBooster, card_draft


def saved(tmp_path, monkeypatch) -> tuple[FileModelStore, str]:
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path))
    store = FileModelStore(tmp_path)
    version = store.new_version(1_767_225_600_000)
    model = UpModel(FakeBooster(["f1"]), ("f1",), FS, 2, "5m")
    store.save(version, model, card_draft(model, 1_767_225_600_000))
    return store, version


def test_show_renders_every_section_and_lists_the_plots(tmp_path, monkeypatch, capsys) -> None:
    store, version = saved(tmp_path, monkeypatch)
    store.promote(version)
    for name in ("reliability.png", "importance.png"):
        (tmp_path / "models" / version / name).write_bytes(b"\x89PNG")
    assert main(["models", "show", version]) == 0
    out = capsys.readouterr().out
    assert f"model {version}  (champion)" in out
    for section in ("card", "metrics", "feature_set"):
        assert f"\n{section}" in out, section
    assert "log_loss" in out
    assert "0.61" in out
    assert "2026-01-01 00:00:00 UTC" in out, "created_at as a UTC time"
    assert "plots (2):" in out
    assert str(tmp_path / "models" / version / "importance.png") in out


def test_show_json_is_the_stored_card(tmp_path, monkeypatch, capsys) -> None:
    _, version = saved(tmp_path, monkeypatch)
    assert main(["models", "show", version, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown == json.loads((tmp_path / "models" / version / "card.json").read_text())


def test_show_of_an_unknown_version_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    saved(tmp_path, monkeypatch)
    assert main(["models", "show", "20990101T000000000Z-abcdef"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"candlecast: no saved model '20990101T000000000Z-abcdef' under {tmp_path}"
    )


def test_list_reads_cards_of_any_schema(tmp_path, monkeypatch, capsys) -> None:
    saved(tmp_path, monkeypatch)
    v2 = {
        "version": "20260102T000000000Z-aaaaaa",
        "feature_set": {"name": "core", "hash": "b" * 16},
        "train": {"horizon": 5, "symbols": ["X", "Y"]},
        "metrics": {"log_loss": 0.6931, "auc_roc": 0.52},
        "baselines": {"base_rate": {"log_loss": 0.6932}},
    }
    (tmp_path / "models" / v2["version"]).mkdir()
    (tmp_path / "models" / v2["version"] / "card.json").write_text(json.dumps(v2))
    assert main(["models", "list"]) == 0
    last = capsys.readouterr().out.splitlines()[-1].split()
    assert last == [v2["version"], "core:" + "b" * 16, "5", "0.6931", "0.6932", "0.52", "X,Y"]


def test_flatten_and_text_keep_any_shape_readable() -> None:
    card = {"a": {"b": 1.23456789, "c": [1, 2]}, "d": [{"e": None}], "train_start_ts": 1_767_225_600_000}
    assert flatten(card["a"]) == [("b", "1.23457"), ("c", "1, 2")]
    assert flatten(card["d"], "d") == [("d[0].e", "-")]
    assert text("train_start_ts", card["train_start_ts"]) == "2026-01-01 00:00:00 UTC (1767225600000)"
    assert text("n_rows", 1_767_225_600_000) == "1767225600000", "only *_ts and *_at are times"
    assert text("ok", value=True) == "true"
