"""`candlecast train --data FILE`: the offline pipeline on the real bars of tests/data."""

from __future__ import annotations

import json

import jsonschema
import pytest

from candlecast.cli.main import main
from candlecast.shared.adapters.card_schema import committed_schema
from tests.support.data import real_path


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CANDLECAST_TRAIN_THREADS", "1")


def test_train_writes_a_schema_valid_card_and_its_plots(env, tmp_path, capsys) -> None:
    args = ["train", "--data", str(real_path("BTCUSDT")), "--trials", "2", "--horizon", "5"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    (folder,) = (tmp_path / "out").iterdir()
    card = json.loads((folder / "card.json").read_text())
    jsonschema.validate(card, committed_schema())
    pngs = sorted(p.name for p in folder.glob("*.png"))
    assert len(pngs) >= 3
    assert sorted(card["plots"]) == pngs
    assert (folder / "booster.txt").is_file()
    assert (card["train"]["source"], card["train"]["horizon"], card["optuna"]["trials"]) == ("file", 5, 2)
    out, err = capsys.readouterr()
    assert "\r" not in out
    assert out.startswith("wrote "), "piped: no progress, the summary only"
    assert err == ""
    assert f"AUC {card['metrics']['auc_roc']:.4f}" in out
    assert f"base rate log loss {card['baselines']['base_rate']['log_loss']:.6f}" in out
    assert f"gate vs base rate: {card['gate']['decision']}" in out
    step1 = card["forecast"]["per_step"][0]["coverage"]["0.8"]
    assert f"forecast 12 steps: 80% band covers {step1:.3f} at step 1" in out


def test_train_needs_exactly_one_source(env, tmp_path, capsys) -> None:
    assert main(["train", "--out", str(tmp_path)]) != 0
    assert "exactly one of --data FILE or --snapshot DIR" in capsys.readouterr().err
