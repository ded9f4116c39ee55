"""What every command shares: the settings read once at start-up, and its exit code."""

from __future__ import annotations

from typing import cast

import typer

from candlecast.shared.settings import Settings


def settings_of(ctx: typer.Context) -> Settings:
    return cast("Settings", ctx.obj)


def exit_with(code: int) -> None:
    if code:
        raise typer.Exit(code)
