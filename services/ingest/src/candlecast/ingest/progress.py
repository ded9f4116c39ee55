"""Progress of a long publish: a rich bar on a terminal, a plain line per tenth elsewhere."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

STEPS = 10  # plain lines when piped: one per tenth of the total


class BarProgress:
    """`advance(n)` after each published chunk; `close()` before printing the summary."""

    def __init__(self, total: int, label: str = "bars", console: Console | None = None) -> None:
        self.total, self.done, self.label = total, 0, label
        self.console = console or Console()
        self._next_line = 1
        self._bar: Progress | None = None
        if self.console.is_terminal and total:
            self._bar = Progress(
                TextColumn(f"{label}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
            )
            self._task = self._bar.add_task(label, total=total)
            self._bar.start()

    def advance(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            return
        while self.total and self._next_line <= STEPS and self.done * STEPS >= self._next_line * self.total:
            line = f"{self.label}: {self.done}/{self.total} ({100 * self.done // self.total}%)"
            self.console.print(line, markup=False, highlight=False, soft_wrap=True)
            self._next_line = self.done * STEPS // self.total + 1

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
