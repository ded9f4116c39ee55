"""Stopping work for good: cancel tasks and wait until they have really ended; wait unless stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
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


async def unless_stopped(work: Awaitable[Any], stop: asyncio.Event | None) -> bool:
    """Await `work`; False (and `work` cancelled) if `stop` is set first. What `work` raises is raised."""
    task = asyncio.ensure_future(work)
    if stop is None:
        await task
        return True
    stopping = asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, stopping):
        pending.cancel()
    await asyncio.gather(task, stopping, return_exceptions=True)
    if task in done and not task.cancelled():
        task.result()  # re-raises what the work raised
        return True
    return False


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` unless stop is asked for first; True if it was not."""
    return await unless_stopped(asyncio.sleep(seconds), stop)
