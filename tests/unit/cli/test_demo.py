"""The demo's set-up and report: a planted signal by default, and the card's skill printed plainly."""

from __future__ import annotations

from pathlib import Path

from candlecast.cli.demo import DEMO_ENV, demo_env
from candlecast.cli.demo_report import card_for, skill_report
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.model import UpModel
from tests.support.models import FS, card_draft, tiny_booster

T0 = 1_767_225_600_000


def test_the_demo_market_carries_a_signal_unless_the_caller_says_otherwise(monkeypatch) -> None:
    monkeypatch.delenv("CANDLECAST_SYNTHETIC_SIGNAL", raising=False)
    env = demo_env("redis://x:1/0", Path("/h"))
    assert float(env["CANDLECAST_SYNTHETIC_SIGNAL"]) > 0
    assert (env["CANDLECAST_REDIS_URL"], env["CANDLECAST_HOME"]) == ("redis://x:1/0", "/h")
    assert env["CANDLECAST_RETRAIN_CRON"] == ""
    assert env["CANDLECAST_TIMEFRAME"] == "5s", "short live bars: a prediction every 5 s"
    monkeypatch.setenv("CANDLECAST_SYNTHETIC_SIGNAL", "0")
    assert demo_env("redis://x:1/0", Path("/h"))["CANDLECAST_SYNTHETIC_SIGNAL"] == "0"
    assert DEMO_ENV["CANDLECAST_SYNTHETIC_SIGNAL"] == "0.3", "the signal the honesty tests measure"


def test_the_report_is_the_card_of_this_request_with_skill_and_gate(tmp_path) -> None:
    store = FileModelStore(tmp_path)
    model = UpModel(tiny_booster(), ("f1", "f2"), FS, 5, "1m")
    mine = card_draft(model, T0).model_copy(update={"request_id": "mine"})
    store.save(store.new_version(T0), model, mine)
    store.save(store.new_version(T0 + 1), model, card_draft(model, T0 + 1))  # newer, another request
    card = card_for(store, "mine")
    assert card is not None
    assert card.request_id == "mine"
    assert card_for(store, "nobody") is None
    text = skill_report(card)
    base = card.baselines.base_rate
    assert f"{card.metrics.auc_roc:.4f}" in text
    assert f"{base.log_loss:.5f}" in text
    assert f"skill {base.log_loss_skill:+.4f}" in text
    assert f"{card.calibration.ece_after:.4f}" in text
    assert f"gate: {card.gate.decision}: {card.gate.reason}" in text
