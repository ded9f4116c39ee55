"""`retrain --follow`'s progress: a bar over the tuning trials on stderr when it is a terminal.

Piped (or in a log), a plain line per stage instead of a line per trial; `quiet`: nothing.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from candlecast.shared.core.messages import TrainingProgress


def trial_line(event: TrainingProgress) -> str:
    best = "" if event.best_value is None else f", best {event.best_value:.5f}"
    return f"  {event.stage}: trial {event.trial}/{event.trials}{best}"


class ProgressView:
    """Shows one request's TrainingProgress events; `close` before printing the outcome."""

    def __init__(self, console: Console | None = None, quiet: bool = False) -> None:
        self.console = console or Console(stderr=True)
        self.quiet = quiet
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.stage: str | None = None

    def show(self, event: TrainingProgress) -> None:
        if self.quiet:
            return
        if event.trial is None or event.trials is None:
            print(f"  {event.stage}: {event.detail}")  # above a live bar: rich redirects stdout
        elif self.console.is_terminal:
            self._advance(event, event.trial, event.trials)
        elif event.stage != self.stage:
            print(trial_line(event))  # piped: the stage's first trial only
        self.stage = event.stage

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def _advance(self, event: TrainingProgress, trial: int, trials: int) -> None:
        best = "-" if event.best_value is None else f"{event.best_value:.5f}"
        if self.bar is None:
            self.bar = Progress(
                TextColumn("  {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("best {task.fields[best]}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.bar.start()
            self.task = self.bar.add_task(event.stage, total=trials, best=best)
        if self.task is not None:
            self.bar.update(self.task, completed=trial, total=trials, description=event.stage, best=best)
