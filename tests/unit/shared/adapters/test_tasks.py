"""cancel_and_wait: cancelled tasks are awaited, even one that swallows a cancellation."""

from __future__ import annotations

import asyncio

from candlecast.shared.adapters.tasks import cancel_and_wait


async def test_a_task_that_swallows_the_first_cancel_is_still_ended() -> None:
    swallowed = 0

    async def stubborn() -> None:  # like a reader that logs a cancelled read as an error and loops on
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait([task]), 5)
    assert swallowed == 1
    assert task.cancelled()


async def test_done_tasks_are_left_as_they_are() -> None:
    async def value() -> int:
        return 7

    task = asyncio.create_task(value())
    await task
    await cancel_and_wait([task])
    assert task.result() == 7
