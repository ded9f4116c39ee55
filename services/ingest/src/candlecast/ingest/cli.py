"""`candlecast replay FILE [--speed max|N]`: publish a Parquet or CSV file of bars."""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from pathlib import Path

from redis.asyncio import Redis

from candlecast.ingest.publish import clean, publish_bars, record, time_ordered
from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.ingest")


def speed(value: str) -> float | None:
    """'max' (as fast as Redis takes them) or bars per second."""
    if value == "max":
        return None
    rate = float(value)
    if rate <= 0:
        raise argparse.ArgumentTypeError("speed must be 'max' or a positive number of bars per second")
    return rate


def add_replay(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("replay", help="publish a Parquet/CSV file of bars (and record them)")
    p.add_argument("file", type=Path, help="columns ts, open, high, low, close, volume, symbol[, timeframe]")
    p.add_argument("--speed", type=speed, default=None, help="'max' (default) or bars per second")
    p.add_argument(
        "--timeframe",
        default=None,
        help="timeframe when the file has no column (default: settings)",
    )
    p.set_defaults(func=lambda args: asyncio.run(replay(Settings(), args.file, args.speed, args.timeframe)))


async def replay(settings: Settings, path: Path, rate: float | None, timeframe: str | None) -> int:
    series, dropped = clean(read_bar_file(path, timeframe or settings.timeframe))
    if dropped:
        print(f"skipped {dropped} rows of {path}: impossible prices or a repeated ts")
    new = await record(BarStore(settings.home), series)
    bars = time_ordered(series)
    redis = Redis.from_url(settings.url)
    started = time.monotonic()
    step = len(bars) if rate is None else max(1, int(rate // 10))
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
