"""What every command shares: the settings read once at start-up, its exit code, its console."""

from __future__ import annotations

from typing import cast

import typer
from rich.console import Console

from candlecast.shared.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    return cast("Settings", ctx.obj)


def comma_list(values: list[str] | None) -> list[str]:
    """`--symbols A,B --symbols C` as [A, B, C]."""
    return [s for value in values or [] for s in value.split(",") if s]


def exit_with(code: int) -> None:
    if code:
        raise typer.Exit(code)


PIPE_WIDTH = 1_000  # piped output is never cut to 80 columns: versions and paths get copied from it


def console() -> Console:
    """A rich console: the terminal's width, or no wrapping when piped."""
    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)
