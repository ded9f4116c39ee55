"""`candlecast train`'s trial bar: on a terminal only, and not when quiet."""

from __future__ import annotations

import io

from rich.console import Console

from candlecast.trainer.trial_bar import TrialBar


def test_a_terminal_gets_the_trials_and_the_best_value() -> None:
    screen = io.StringIO()
    bar = TrialBar(Console(file=screen, force_terminal=True, width=100))
    for trial in range(1, 6):
        bar(trial, 5, 0.69 - trial / 1000)
    bar.close()
    assert "5/5" in screen.getvalue()
    assert "best 0.68500" in screen.getvalue()


def test_piped_or_quiet_shows_nothing() -> None:
    piped, quiet = io.StringIO(), io.StringIO()
    bars = [TrialBar(Console(file=piped)), TrialBar(Console(file=quiet, force_terminal=True), quiet=True)]
    for bar in bars:
        bar(1, 5, 0.69)
        bar.close()
    assert piped.getvalue() == quiet.getvalue() == ""
    assert TrialBar().console.stderr
