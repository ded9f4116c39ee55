"""The command tree: which names a typer app has, and the whole tree as `candlecast --help`'s epilog."""

from __future__ import annotations

from importlib.metadata import entry_points

import typer
from typer.models import CommandInfo

SERVICES = "candlecast.services"


def services() -> list[str]:
    """The installed services' names (entry point metadata only: nothing is imported)."""
    return sorted(ep.name for ep in entry_points(group=SERVICES))


def command_name(info: CommandInfo) -> str:
    if info.name:
        return info.name
    callback = info.callback
    return getattr(callback, "__name__", "?").replace("_", "-")


def top_names(app: typer.Typer) -> list[str]:
    """The app's own commands and groups, in the order they were added."""
    commands = [command_name(c) for c in app.registered_commands]
    return commands + [g.name or "?" for g in app.registered_groups]


def tree_epilog(app: typer.Typer) -> str:
    """Every command, and each group's sub-commands, a line each."""
    lines = ["[bold]All commands[/bold]", "  " + ", ".join(command_name(c) for c in app.registered_commands)]
    for group in app.registered_groups:
        sub = group.typer_instance.registered_commands if group.typer_instance else []
        lines.append(f"  {group.name}: " + ", ".join(command_name(c) for c in sub))
    lines.append(f"  run SERVICE: {', '.join(services()) or 'none installed'}")
    return "\n".join(lines)
