"""`candlecast replay FILE [--speed max|N]`: publish a Parquet or CSV file of bars.

The ingest distribution adds this command to the `candlecast` CLI through the
`candlecast.commands` entry point (`add_replay` gets the root typer app).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
from redis.asyncio import Redis

from candlecast.ingest.publish import clean, publish_bars, record, time_ordered
from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.settings import Settings


def bars_per_second(value: str) -> float | None:
    """'max' (as fast as Redis takes them) or bars per second."""
    if value == "max":
        return None
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if not rate > 0:
        raise typer.BadParameter("speed must be 'max' or a positive number of bars per second")
    return rate


def replay_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="columns ts, open, high, low, close, volume, symbol[, timeframe]"
        ),
    ],
    speed: Annotated[str, typer.Option(help="'max' or bars per second")] = "max",
    timeframe: Annotated[
        str | None, typer.Option(help="timeframe when the file has no column (default: settings)")
    ] = None,
) -> None:
    """Publish a Parquet/CSV file of bars (and record them in the bar store)."""
    rate = bars_per_second(speed)
    asyncio.run(replay(Settings(), file, rate, timeframe))


def add_replay(app: typer.Typer) -> None:
    app.command("replay")(replay_command)


async def replay(settings: Settings, path: Path, rate: float | None, timeframe: str | None) -> int:
    series, dropped = clean(read_bar_file(path, timeframe or settings.timeframe))
    if dropped:
        print(f"skipped {dropped} rows of {path}: impossible prices or a repeated ts")
    new = await record(BarStore(settings.home), series)
    bars = time_ordered(series)
    redis = Redis.from_url(settings.url)
    started = time.monotonic()
    step = max(1, len(bars) if rate is None else int(rate // 10))
    for i in range(0, len(bars), step):
        await publish_bars(redis, settings.keys.bars, bars[i : i + step], settings.maxlen)
        if rate is not None:
            await asyncio.sleep(max(0.0, started + (i + step) / rate - time.monotonic()))
    await redis.aclose()
    elapsed = time.monotonic() - started
    print(
        f"replayed {len(bars)} bars of {len(series)} series in {elapsed:.1f} s ({new} new in the bar store)"
    )
    return 0
