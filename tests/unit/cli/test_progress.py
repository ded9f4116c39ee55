"""`retrain --follow`'s view of TrainingProgress: a bar on a terminal, a line per stage when piped."""

from __future__ import annotations

import io

from rich.console import Console

from candlecast.cli.ops.progress import ProgressView
from candlecast.shared.core.messages import TrainingProgress


def event(trial: int | None = None, best: float | None = None, stage: str = "tune") -> TrainingProgress:
    trials = None if trial is None else 10
    return TrainingProgress(
        request_id="r", stage=stage, detail="d", trial=trial, trials=trials, best_value=best
    )


def test_piped_output_is_a_plain_line_per_stage_not_per_trial(capsys) -> None:
    view = ProgressView(Console(file=io.StringIO()))  # not a terminal
    view.show(event(stage="dataset"))
    view.show(event(trial=1))
    view.show(event(trial=2, best=0.69312))
    view.show(event(trial=1, stage="forecast"))
    view.close()
    assert capsys.readouterr().out.splitlines() == [
        "  dataset: d",
        "  tune: trial 1/10",
        "  forecast: trial 1/10",
    ]


def test_a_terminal_gets_a_progress_bar_with_the_best_value(capsys) -> None:
    screen = io.StringIO()
    view = ProgressView(Console(file=screen, force_terminal=True, width=100))
    for trial in range(1, 8):
        view.show(event(trial=trial, best=0.7 - trial / 1000))
    view.close()
    view.show(event(stage="calibrate"))
    shown = screen.getvalue()
    assert "7/10" in shown
    assert "best 0.69300" in shown
    assert capsys.readouterr().out == "  calibrate: d\n", "trials go to the bar, stages to stdout"


def test_quiet_shows_nothing(capsys) -> None:
    screen = io.StringIO()
    view = ProgressView(Console(file=screen, force_terminal=True, width=100), quiet=True)
    view.show(event(stage="dataset"))
    view.show(event(trial=3, best=0.69))
    view.close()
    assert screen.getvalue() == ""
    assert capsys.readouterr().out == ""


def test_the_bar_goes_to_stderr_by_default() -> None:
    assert ProgressView().console.stderr
