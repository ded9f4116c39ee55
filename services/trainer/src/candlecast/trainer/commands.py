"""Checks on a retrain command before it may queue for the training lock. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence

from candlecast.shared.core.entries import clip
from candlecast.shared.core.messages import (
    MAX_ID_CHARS,
    MAX_SYMBOLS,
    DeadLettered,
    RetrainModel,
    TrainingFailed,
)

NAMED = 10  # a refusal names at most this many symbols


class CommandError(ValueError):
    """A command the trainer refuses; the message says why."""


def with_symbols(command: RetrainModel, configured: Sequence[str]) -> RetrainModel:
    """A store retrain that names no symbols trains on the configured ones (a snapshot: all of it)."""
    if command.symbols or command.snapshot:
        return command
    return command.model_copy(update={"symbols": list(configured)})


def command_problem(
    command: RetrainModel, stored: Sequence[tuple[str, str]], max_symbols: int = MAX_SYMBOLS
) -> str | None:
    """Why the bar store cannot serve this command, or None. `stored` is (symbol, timeframe) pairs."""
    if len(command.symbols) > max_symbols:
        return f"{len(command.symbols)} symbols named; at most {max_symbols} (CANDLECAST_MAX_SYMBOLS)"
    if command.snapshot:
        return None
    if not command.symbols:
        return "no symbols to train on: name them in the command or set CANDLECAST_SYMBOLS"
    have = {symbol for symbol, timeframe in stored if timeframe == command.timeframe}
    unknown = [s for s in command.symbols if s not in have]
    if unknown:
        more = f" and {len(unknown) - NAMED} more" if len(unknown) > NAMED else ""
        return f"no stored {command.timeframe} bars for {', '.join(unknown[:NAMED])}{more}"
    return None


def failed_for(dead: DeadLettered) -> TrainingFailed | None:
    """A refused command whose request_id can still be read gets a TrainingFailed too."""
    try:
        document = json.loads(dead.payload)
    except ValueError:
        return None
    request_id = document.get("request_id") if isinstance(document, dict) else None
    if not isinstance(request_id, str) or not 0 < len(request_id) <= MAX_ID_CHARS:
        return None
    return TrainingFailed(request_id=request_id, error=clip(f"refused command: {dead.reason}"))
