"""`candlecast models show` in-process, and the generic card rendering."""

from __future__ import annotations

import json

from candlecast.cli.main import main
from candlecast.cli.ops.card_view import flatten, text
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.model import UpModel
from tests.support.models import FS, card_draft, tiny_booster


def saved(tmp_path, monkeypatch) -> tuple[FileModelStore, str]:
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path))
    store = FileModelStore(tmp_path)
    version = store.new_version(1_767_225_600_000)
    model = UpModel(tiny_booster(["f1"]), ("f1",), FS, 2, "5m")
    store.save(version, model, card_draft(model, 1_767_225_600_000))
    return store, version


def test_show_renders_every_section_and_names_the_plots(tmp_path, monkeypatch, capsys) -> None:
    store, version = saved(tmp_path, monkeypatch)
    store.promote(version)
    folder = tmp_path / "models" / version
    for name in ("reliability.png", "importance.png", "extra.png"):
        (folder / name).write_bytes(b"\x89PNG")
    assert main(["models", "show", version]) == 0
    out = capsys.readouterr().out
    assert f"model {version}  (champion)" in out
    sections = ("card", "holdout", "train", "leakage_checks", "calibration", "backtest", "latency_ms")
    for section in (*sections, "optuna", "gate", "feature_set", "folds: log_loss", "feature_importance"):
        assert f"\n{section}" in out, section
    holdout = {line.split()[0]: line.split()[1:] for line in out.split("\nholdout")[1].splitlines()[2:12]}
    assert holdout["log_loss"] == ["0.6925", "0.6931", "17"], "model, base rate, majority side by side"
    assert holdout["calibration_ece"] == ["0.008"]
    assert "2026-01-01 00:00:00 UTC" in out, "created_at as a UTC time"
    importance = out.split("\nfeature_importance (gain, top 1 of 1)")[1].splitlines()
    assert importance[2].split() == ["f1", "100", "100.0%"]
    assert "plots (3 present):" in out
    assert f"{folder / 'reliability.png'}\n" in out
    assert f"{folder / 'optuna.png'}  (missing)" in out
    assert f"{folder / 'extra.png'}  (not named by the card)" in out


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


def test_list_shows_v2_columns_and_still_reads_v1_cards(tmp_path, monkeypatch, capsys) -> None:
    store, version = saved(tmp_path, monkeypatch)
    store.promote(version)
    v1 = {
        "schema_version": 1,
        "version": "20200102T000000000Z-aaaaaa",
        "created_at": 1_577_923_200_000,
        "feature_set": {"name": "core", "hash": "b" * 16},
        "horizon": 5,
        "symbols": ["X", "Y"],
        "metrics": {"log_loss": 0.6931, "auc": 0.52, "ece": 0.01, "baseline_log_loss": 0.6932},
    }
    (tmp_path / "models" / v1["version"]).mkdir()
    (tmp_path / "models" / v1["version"] / "card.json").write_text(json.dumps(v1))
    assert main(["models", "list"]) == 0
    header, old, new = capsys.readouterr().out.splitlines()
    assert header.split() == [
        "version", "created", "(UTC)", "feature", "set", "h", "log", "loss", "base", "rate", "skill",
        "AUC", "ECE", "gate", "symbols",
    ]  # fmt: skip
    assert old.split() == [v1["version"], "2020-01-02", "00:00", "core:" + "b" * 16, "5", "0.6931", "0.6932",
                           "-", "0.52", "0.01", "-", "X,Y"]  # fmt: skip
    skill = f"{1 - 0.6925 / 0.6931:.6g}"
    assert new.split() == ["*", version, "2026-01-01", "00:00", "t:" + "a" * 16, "2", "0.6925", "0.6931",
                           skill, "0.523", "0.008", "promoted", "AAA"]  # fmt: skip


def test_flatten_and_text_keep_any_shape_readable() -> None:
    card = {"a": {"b": 1.23456789, "c": [1, 2]}, "d": [{"e": None}], "train_start_ts": 1_767_225_600_000}
    assert flatten(card["a"]) == [("b", "1.23457"), ("c", "1, 2")]
    assert flatten(card["d"], "d") == [("d[0].e", "-")]
    assert text("train_start_ts", card["train_start_ts"]) == "2026-01-01 00:00:00 UTC (1767225600000)"
    assert text("n_rows", 1_767_225_600_000) == "1767225600000", "only *_ts and *_at are times"
    assert text("ok", value=True) == "true"
