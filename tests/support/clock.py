"""A fake clock and sleep for code that takes both: sleeping moves the clock, never the test."""

from __future__ import annotations

import numpy as np


class FakeClock:
    """Call it for the time (ms); `await sleep(s)` records `s` and moves the clock on by it plus
    up to `jitter_ms` (a sleep that overshoots, as a busy event loop's does)."""

    def __init__(self, now: int, jitter_ms: int = 0) -> None:
        self.now = now
        self.rng = np.random.default_rng(0)
        self.jitter_ms = jitter_ms
        self.sleeps: list[float] = []

    def __call__(self) -> int:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += int(seconds * 1000) + int(self.rng.integers(0, self.jitter_ms + 1))
