"""`retrain --follow`'s progress: a bar over the tuning trials on a terminal, plain lines elsewhere."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from candlecast.shared.core.messages import TrainingProgress


def trial_line(event: TrainingProgress) -> str:
    best = "" if event.best_value is None else f", best {event.best_value:.5f}"
    return f"  {event.stage}: trial {event.trial}/{event.trials}{best}"


class ProgressView:
    """Shows one request's TrainingProgress events; `close` before printing the outcome."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def show(self, event: TrainingProgress) -> None:
        if event.trial is None or event.trials is None:
            self._line(f"  {event.stage}: {event.detail}")
        elif not self.console.is_terminal:
            print(trial_line(event))
        else:
            self._advance(event, event.trial, event.trials)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def _line(self, text: str) -> None:
        if self.bar is not None:
            self.console.print(text, markup=False, highlight=False)  # above the live bar
        else:
            print(text)

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
