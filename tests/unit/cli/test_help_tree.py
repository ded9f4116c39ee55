"""Help: every option explained with its default, the whole tree in `--help`, services in `run --help`."""

from __future__ import annotations

from collections.abc import Iterator

import typer

from candlecast.cli.main import build_app, main
from candlecast.cli.tree import services, top_names


def walk(command: object, path: str = "candlecast") -> Iterator[tuple[str, object]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, f"{path} {name}")


def test_every_option_and_argument_has_help_and_shows_its_default() -> None:
    root = typer.main.get_command(build_app(["--help"]))
    checked = 0
    for path, command in walk(root):
        for param in getattr(command, "params", []):
            name = f"{path} {param.name}"
            assert (getattr(param, "help", None) or "").strip(), f"{name} has no help"
            if param.param_type_name == "option":
                assert param.show_default is not False, f"{name} hides its default"
            checked += 1
    assert checked > 60, "walked the contributed commands too"


def test_the_tree_reaches_sub_commands_and_contributed_commands() -> None:
    root = typer.main.get_command(build_app(["--help"]))
    paths = {path for path, _ in walk(root)}
    for path in ("candlecast models show", "candlecast dlq replay", "candlecast replay", "candlecast train"):
        assert path in paths


def test_root_help_lists_every_group_with_its_sub_commands(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "models: list, show, promote, rollback" in out
    assert "dlq: list, show, replay" in out
    assert "features: compute, reset" in out
    assert "backfill" in out.split("All commands")[1], "contributed commands are in the tree"


def test_run_help_lists_the_installed_services_without_loading_commands(capsys) -> None:
    app = build_app(["run", "--help"])
    assert "replay" not in top_names(app), "run skips the contributed commands"
    assert main(["run", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert services() == ["features", "ingest", "predictor", "recorder", "scorer", "trainer"]
    assert "Installed: features, ingest, predictor, recorder, scorer, trainer." in out


def test_own_commands_skip_the_contributed_ones_and_others_load_them() -> None:
    assert "train" not in top_names(build_app(["models", "list"]))
    assert "train" in top_names(build_app(["train", "--help"]))
    assert "replay" in top_names(build_app([]))
