"""Stopping background tasks for good: cancel them, then wait until they have really ended."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

RECANCEL_S = 0.5  # a task that turned our cancel into an error and went on is cancelled again


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Cancel `tasks` and return once every one of them is done.

    Some libraries catch a cancellation that lands mid-read as an ordinary error and
    loop on, so a task still running after RECANCEL_S is cancelled again.
    """
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_S)
