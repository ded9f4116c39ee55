"""The trainer's command checks and settings, without Redis."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from candlecast.shared.core.messages import DeadLettered, RetrainModel
from candlecast.trainer.commands import command_problem, failed_for, with_symbols
from candlecast.trainer.settings import TrainerSettings

STORED = [("AAA", "5m"), ("BBB", "5m"), ("CCC", "1h")]


def test_no_symbols_means_the_configured_ones_not_the_whole_store() -> None:
    assert with_symbols(RetrainModel(), ["AAA"]).symbols == ["AAA"]
    assert with_symbols(RetrainModel(symbols=["BBB"]), ["AAA"]).symbols == ["BBB"]
    assert with_symbols(RetrainModel(snapshot="s1"), ["AAA"]).symbols == [], "a snapshot: all of it"


def test_unknown_symbols_and_missing_data_are_named() -> None:
    assert command_problem(RetrainModel(symbols=["AAA", "BBB"]), STORED) is None
    assert command_problem(RetrainModel(symbols=["AAA", "ZZZ", "CCC"]), STORED) == (
        "no stored 5m bars for ZZZ, CCC"
    )
    assert "CANDLECAST_SYMBOLS" in str(command_problem(RetrainModel(), STORED))
    assert command_problem(RetrainModel(symbols=["ZZZ"], snapshot="/s"), STORED) is None


def dead(payload: str) -> DeadLettered:
    return DeadLettered(
        stream="c", entry_id="1-0", group="trainer", reason="schema check failed at retrain.trials: too big",
        payload=payload, failed_at=0,
    )  # fmt: skip


def test_a_refused_command_with_a_readable_request_id_also_fails_loudly() -> None:
    failed = failed_for(dead('{"command": "retrain", "request_id": "r1", "trials": 0}'))
    assert failed is not None
    assert failed.request_id == "r1"
    assert failed.error == "refused command: schema check failed at retrain.trials: too big"
    assert failed_for(dead('{"command": "retrain", "trials": 0}')) is None
    assert failed_for(dead('{"request_id": 7}')) is None
    assert failed_for(dead("not json")) is None
    assert failed_for(dead("[1, 2]")) is None


def test_settings_check_the_cron_and_allow_it_off(monkeypatch) -> None:
    monkeypatch.delenv("CANDLECAST_RETRAIN_CRON", raising=False)
    assert TrainerSettings().retrain_cron == "0 3 * * *"
    assert TrainerSettings(retrain_cron="  ").retrain_cron == ""
    with pytest.raises(ValidationError, match="hour"):
        TrainerSettings(retrain_cron="0 25 * * *")


def test_symbols_in_ccxt_spelling_shared_with_ingest_are_read_as_stream_symbols(monkeypatch) -> None:
    monkeypatch.setenv("CANDLECAST_SYMBOLS", '["BTC/USDT", "ETHUSDT", "SOL/USDT:USDT"]')
    assert TrainerSettings().symbols == ["BTCUSDT", "ETHUSDT", "SOLUSDT:USDT"]
    monkeypatch.setenv("CANDLECAST_SYMBOLS", '["BTC USDT"]')
    with pytest.raises(ValidationError):
        TrainerSettings()


def test_more_symbols_than_allowed_are_refused_and_long_lists_are_not_echoed() -> None:
    many = RetrainModel(symbols=[f"S{i}" for i in range(300)])
    assert command_problem(many, STORED, max_symbols=200) == (
        "300 symbols named; at most 200 (CANDLECAST_MAX_SYMBOLS)"
    )
    problem = str(command_problem(many, STORED))
    assert problem == "no stored 5m bars for S0, S1, S2, S3, S4, S5, S6, S7, S8, S9 and 290 more"


def test_a_refusal_event_is_bounded_and_needs_a_plausible_request_id() -> None:
    letter = dead('{"command": "retrain", "request_id": "r1"}').model_copy(update={"reason": "x" * 5_000})
    failed = failed_for(letter)
    assert failed is not None
    assert len(failed.error) < 600
    assert failed.error.endswith("chars in all]")
    assert failed_for(dead(json.dumps({"request_id": "r" * 201}))) is None, "no valid command has it"
