"""`candlecast train`'s progress: a bar over the tuning trials on stderr when it is a terminal;
nothing when piped or quiet (the summary says how it went)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class TrialBar:
    """Called after each trial (trial, trials, best value so far); `close` before the summary."""

    def __init__(self, console: Console | None = None, quiet: bool = False) -> None:
        self.console = console or Console(stderr=True)
        self.shown = self.console.is_terminal and not quiet
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, trial: int, trials: int, best: float | None) -> None:
        if not self.shown:
            return
        if self.bar is None:
            self.bar = Progress(
                TextColumn("tune"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("best {task.fields[best]}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.bar.start()
            self.task = self.bar.add_task("tune", total=trials, best="-")
        if self.task is not None:
            shown = "-" if best is None else f"{best:.5f}"
            self.bar.update(self.task, completed=trial, total=trials, best=shown)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
