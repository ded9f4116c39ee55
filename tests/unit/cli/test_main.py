"""The `candlecast` command in-process: commands found, user mistakes as one line and exit 2."""

from __future__ import annotations

from candlecast.cli.main import main
from candlecast.cli.ops.retrain import RetrainOptions, retrain_command
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.model import UpModel
from candlecast.shared.settings import Settings
from tests.support.models import FS, card_draft, tiny_booster


def save(store: FileModelStore, now: int) -> str:
    version = store.new_version(now)
    model = UpModel(tiny_booster(["f1"]), ("f1",), FS, 2, "5m")
    store.save(version, model, card_draft(model, now, symbols=("AAA", "BBB")))
    return version


def test_help_lists_own_and_entry_point_commands(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("run", "retrain", "rollback", "tail", "models", "snapshot", "features", "demo", "replay"):
        assert f" {command} " in out, command


def test_unknown_service_is_one_line_and_exit_2(capsys) -> None:
    assert main(["run", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [err.strip()]
    assert "unknown or uninstalled service 'nope'" in err
    assert "predictor" in err, "names the installed services"


def test_invalid_retrain_is_refused_before_any_redis_call(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    assert main(["retrain", "--horizon", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "candlecast: invalid RetrainModel: horizon: Input should be greater than or equal to 1"


def test_out_of_range_trials_are_refused_not_changed(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", "redis://127.0.0.1:1/0")
    assert main(["retrain", "--trials", "-1"]) == 2
    assert capsys.readouterr().err.strip() == (
        "candlecast: invalid RetrainModel: trials: Input should be greater than or equal to 1"
    )
    assert main(["retrain", "--trials", "5001"]) == 2
    assert "trials: Input should be less than or equal to 5000" in capsys.readouterr().err


def test_unreachable_redis_is_one_line(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", "redis://127.0.0.1:1/0")
    assert main(["tail", "--count", "1"]) == 5  # REDIS_DOWN: not a user's typo (2)
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "Redis at redis://127.0.0.1:1/0: connection refused" in err


def test_missing_bar_file_is_one_line(capsys, tmp_path) -> None:
    assert main(["features", "compute", str(tmp_path / "none.parquet"), str(tmp_path / "out.parquet")]) == 2
    assert capsys.readouterr().err.strip() == f"candlecast: no bar file at {tmp_path / 'none.parquet'}"
    assert not (tmp_path / "out.parquet").exists()


def test_bad_replay_speed_is_a_usage_error(capsys, tmp_path) -> None:
    assert main(["replay", str(tmp_path / "bars.parquet"), "--speed", "fast"]) == 2
    assert "speed must be 'max' or a positive number" in capsys.readouterr().err


def test_models_list_marks_the_champion(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path))
    store = FileModelStore(tmp_path)
    older, newer = save(store, 1_000), save(store, 2_000)
    store.promote(older)
    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = {line.split()[1] if line.startswith(" *") else line.split()[0]: line for line in lines[1:]}
    assert set(row) == {older, newer}
    assert row[older].lstrip().startswith("*")
    assert not row[newer].lstrip().startswith("*")
    assert "t:aaaaaaaaaaaaaaaa" in row[older]
    assert "AAA,BBB" in row[older]


def test_models_list_of_an_empty_registry(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path))
    assert main(["models", "list"]) == 0
    assert capsys.readouterr().out.strip() == f"no models under {tmp_path}"


def test_features_reset_refuses_a_bad_symbol_before_any_redis_call(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    assert main(["features", "reset", "BTC USDT", "--timeframe", "5m"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("candlecast: ")
    assert "should match pattern" in err


def test_retrain_symbols_in_exchange_spelling_are_sent_as_stream_symbols() -> None:
    command = retrain_command(Settings(), ["BTC/USDT", "ETHUSDT"], RetrainOptions())
    assert command.symbols == ["BTCUSDT", "ETHUSDT"]
