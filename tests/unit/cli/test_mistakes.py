"""A user's mistake is one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from candlecast.cli.main import main

HEADER = "ts,open,high,low,close,volume,symbol\n"


@pytest.fixture(autouse=True)
def no_redis(monkeypatch, tmp_path) -> None:
    """Nothing listens here: a command that reached Redis would exit 5, not 2."""
    monkeypatch.setenv("CANDLECAST_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path / "home"))


def one_error(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err + out
    return err.strip()


def csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bars.csv"
    path.write_text(text)
    return str(path)


def test_replay_of_a_missing_file(capsys, tmp_path) -> None:
    assert main(["replay", str(tmp_path / "nope.csv")]) == 2
    assert one_error(capsys) == f"candlecast: no such file: {tmp_path / 'nope.csv'}"


def test_replay_of_a_folder(capsys, tmp_path) -> None:
    assert main(["replay", str(tmp_path)]) == 2
    assert one_error(capsys) == f"candlecast: {tmp_path}: a bar file, not a folder"


def test_replay_of_a_csv_without_close(capsys, tmp_path) -> None:
    path = csv(tmp_path, "ts,open,high,low,volume,symbol\n1735689600000,1,2,0.5,3,AAA\n")
    assert main(["replay", path]) == 2
    assert one_error(capsys).startswith("candlecast: bar file lacks columns ['close']")


def test_a_string_price_names_its_column_and_row(capsys, tmp_path) -> None:
    rows = "".join(f"{1735689600000 + i * 300_000},1,2,0.5,1,3,AAA\n" for i in range(40))
    path = csv(tmp_path, HEADER + rows + "1735701900000,1,2,0.5,abc,3,AAA\n")
    assert main(["replay", path]) == 2
    assert one_error(capsys) == "candlecast: bar file column 'close', row 41: 'abc' is not a number"


def test_a_string_ts_names_its_row(capsys, tmp_path) -> None:
    path = csv(tmp_path, HEADER + "1735689600000,1,2,0.5,1,3,AAA\nsoon,1,2,0.5,1,3,AAA\n")
    assert main(["replay", path]) == 2
    assert one_error(capsys) == "candlecast: bar file column 'ts', row 2: 'soon' is not a number"


def test_retrain_with_negative_trials(capsys) -> None:
    assert main(["retrain", "--trials", "-1"]) == 2
    assert "trials: Input should be greater than or equal to 1" in one_error(capsys)


def test_retrain_with_an_unknown_timeframe(capsys) -> None:
    assert main(["retrain", "--timeframe", "7x"]) == 2
    assert one_error(capsys) == "candlecast: unknown timeframe '7x': use e.g. 1m, 5m, 1h, 1d"


def test_features_reset_with_an_unknown_timeframe(capsys) -> None:
    assert main(["features", "reset", "AAA", "--timeframe", "7x"]) == 2
    assert one_error(capsys) == "candlecast: unknown timeframe '7x': use e.g. 1m, 5m, 1h, 1d"


def test_a_value_of_the_wrong_type_is_one_line_with_where_to_look(capsys) -> None:
    assert main(["retrain", "--trials", "many"]) == 2
    err = one_error(capsys)
    assert err.startswith("candlecast: Invalid value for '--trials'")
    assert err.endswith("(see candlecast retrain --help)")


def test_a_missing_argument_and_an_unknown_command(capsys) -> None:
    assert main(["models", "show"]) == 2
    assert one_error(capsys) == "candlecast: Missing argument 'version'. (see candlecast models show --help)"
    assert main(["modles"]) == 2
    assert one_error(capsys).startswith("candlecast: No such command 'modles'.")


def test_a_group_without_sub_command_shows_its_help(capsys) -> None:
    assert main(["dlq"]) == 2
    out, err = capsys.readouterr()
    assert "replay" in out
    assert err == ""


@pytest.mark.parametrize(
    "args",
    [
        ["dlq", "list"],
        ["dlq", "show", "1-0"],
        ["dlq", "replay", "--all"],
        ["features", "reset", "AAA"],
        ["models", "promote", "v1"],
        ["models", "rollback"],
        ["retrain"],
        ["tail", "--count", "1"],
        ["tail", "scores", "--count", "1"],
    ],
)
def test_redis_down_is_one_line_and_exit_5(capsys, args: list[str]) -> None:
    assert main(args) == 5
    assert "Redis at redis://127.0.0.1:1/0: connection refused" in one_error(capsys)


def test_models_and_snapshot_verify_need_no_redis(capsys, tmp_path) -> None:
    assert main(["models", "list"]) == 0
    assert main(["snapshot", "verify", str(tmp_path / "none")]) != 5
    capsys.readouterr()
