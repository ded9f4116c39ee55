"""Replay's progress: a live bar on a terminal, a plain line per tenth when piped."""

from __future__ import annotations

import io

from rich.console import Console

from candlecast.ingest.progress import BarProgress


def test_piped_output_gets_a_line_per_tenth_and_the_end() -> None:
    out = io.StringIO()
    progress = BarProgress(1_000, "replay", Console(file=out, force_terminal=False))
    for _ in range(40):
        progress.advance(25)
    progress.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[0] == "replay: 100/1000 (10%)"
    assert lines[-1] == "replay: 1000/1000 (100%)"


def test_big_steps_print_once_per_step_not_per_tenth_passed() -> None:
    out = io.StringIO()
    progress = BarProgress(12_000, "replay", Console(file=out, force_terminal=False))
    for n in (5_000, 5_000, 2_000):
        progress.advance(n)
    assert out.getvalue().splitlines() == [
        "replay: 5000/12000 (41%)",
        "replay: 10000/12000 (83%)",
        "replay: 12000/12000 (100%)",
    ]


def test_a_terminal_gets_a_bar_that_reaches_the_total() -> None:
    out = io.StringIO()
    progress = BarProgress(300, "replay", Console(file=out, force_terminal=True, width=100))
    for _ in range(3):
        progress.advance(100)
    progress.close()
    text = out.getvalue()
    assert "300/300" in text
    assert "replay: " not in text, "no plain lines on a terminal"
