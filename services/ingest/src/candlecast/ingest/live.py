"""The synthetic market at the clock's pace: a bar leaves only once its close time has passed.

First everything already closed (the backfill, which ends now), then each bar as soon as the
clock reaches its close (ts + timeframe). The clock and the sleep come from the caller, so a
test can drive the loop with a fake clock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from candlecast.ingest.synthetic import SyntheticMarket
from candlecast.shared.core.bars import Bars

Clock = Callable[[], int]  # UTC epoch ms
Sleep = Callable[[float], Awaitable[None]]  # seconds
Emit = Callable[[list[Bars]], Awaitable[None]]


def closed_chunk(market: SyntheticMarket, now: int) -> list[Bars]:
    """Every bar of every symbol that has closed by `now` and was not produced yet."""
    return market.next_chunk(market.due(now))


def wait_s(market: SyntheticMarket, now: int) -> float:
    """Seconds until the next bar closes (0 when it already has)."""
    return max(0.0, (market.next_ts + market.step_ms - now) / 1000)


async def run_live(
    market: SyntheticMarket, clock: Clock, sleep: Sleep, emit: Emit, bars: int | None = None
) -> int:
    """Emit closed bars as the clock passes their close; stops once `bars` per symbol are out."""
    produced = 0
    while bars is None or produced < bars:
        chunk = closed_chunk(market, clock())
        if chunk and len(chunk[0]):
            produced += len(chunk[0])
            await emit(chunk)
        await sleep(wait_s(market, clock()))
    return produced
