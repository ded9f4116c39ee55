"""SIGTERM and SIGINT ask a service to stop; the grace period bounds how long that takes.

A stop lets each consumer loop finish the batch in hand (or leave it pending) and return.
Whatever still runs when the grace period ends (a training thread, a stuck socket) is cut
off by a hard exit: every commit is one atomic script, so that loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("candlecast")
STOPPED_EXIT = 0


def stop_on_signals(stop: asyncio.Event, grace_s: float) -> None:
    """First SIGTERM/SIGINT: set `stop` and start the grace clock; a second one: exit now."""
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(STOPPED_EXIT)
        log.info("%s: stopping (grace %.0f s)", signal.Signals(signum).name, grace_s)
        stop.set()
        timer = threading.Timer(grace_s, _cut_off, (grace_s,))
        timer.daemon = True
        timer.start()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)


def _cut_off(grace_s: float) -> None:
    log.warning(
        "still running %.0f s after the stop signal: exiting (what is not committed stays pending)", grace_s
    )
    logging.shutdown()
    os._exit(STOPPED_EXIT)


def run_until_stopped(main: Callable[[asyncio.Event], Coroutine[Any, Any, None]], grace_s: float) -> None:
    """`asyncio.run(main(stop))`, with `stop` set by SIGTERM or SIGINT."""

    async def guarded() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop, grace_s)
        await main(stop)

    asyncio.run(guarded())
