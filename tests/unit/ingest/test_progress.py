"""Replay's and backfill's progress: a live bar on a terminal; nothing when piped or quiet."""

from __future__ import annotations

import io

from rich.console import Console

from candlecast.ingest.progress import BarProgress


def test_piped_output_gets_no_progress_at_all() -> None:
    out = io.StringIO()
    progress = BarProgress(1_000, "replay", Console(file=out, force_terminal=False))
    for _ in range(40):
        progress.advance(25)
    progress.close()
    assert out.getvalue() == ""
    assert progress.done == 1_000


def test_a_terminal_gets_a_bar_that_reaches_the_total() -> None:
    out = io.StringIO()
    progress = BarProgress(300, "replay", Console(file=out, force_terminal=True, width=100))
    for _ in range(3):
        progress.advance(100)
    progress.close()
    assert "300/300" in out.getvalue()


def test_quiet_silences_even_a_terminal() -> None:
    out = io.StringIO()
    progress = BarProgress(300, "replay", Console(file=out, force_terminal=True, width=100), quiet=True)
    progress.advance(300)
    progress.close()
    assert out.getvalue() == ""


def test_the_bar_goes_to_stderr_by_default() -> None:
    assert BarProgress(10, "replay").console.stderr, "stdout keeps only the summary"
