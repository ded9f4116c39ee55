"""Progress of a long publish: a rich bar on stderr when that is a terminal; nothing otherwise or
when quiet (logs and pipes get the summary line only)."""

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


class BarProgress:
    """`advance(n)` after each published chunk; `close()` before printing the summary."""

    def __init__(
        self, total: int, label: str = "bars", console: Console | None = None, quiet: bool = False
    ) -> None:
        self.total, self.done, self.label = total, 0, label
        self.console = console or Console(stderr=True)
        self._bar: Progress | None = None
        if self.console.is_terminal and total and not quiet:
            self._bar = Progress(
                TextColumn(label),
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

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
