"""`candlecast replay FILE [--rate max|N]`: publish a Parquet, CSV or freqtrade feather file of bars.
`candlecast synthetic FILE [--signal B]`: write a seeded synthetic market to a bar file.

The ingest distribution adds these commands to the `candlecast` CLI through the
`candlecast.commands` entry point (`add_replay`, `add_synthetic` get the root typer app).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer

from candlecast.ingest.drivers import Regimes
from candlecast.ingest.progress import BarProgress
from candlecast.ingest.publish import clean_counted, publish_bars, record, time_ordered
from candlecast.ingest.skips import skipped_line
from candlecast.ingest.synthetic import SyntheticMarket
from candlecast.shared.adapters.barfile import write_bar_file
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.connect import client
from candlecast.shared.adapters.freqtrade import read_any_bars
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


def symbol_names(text: str) -> list[str]:
    """Comma-separated symbols, at least one."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise typer.BadParameter("give at least one symbol")
    return names


def replay_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="Parquet/CSV with ts, open, high, low, close, volume, symbol[, timeframe], "
            "or a freqtrade feather file (BTC_USDT-5m.feather)",
        ),
    ],
    speed: Annotated[str, typer.Option("--rate", "--speed", help="'max' or bars per second")] = "max",
    timeframe: Annotated[
        str | None,
        typer.Option(help="timeframe when the file has no column or name for it (default: settings)"),
    ] = None,
    symbol: Annotated[str | None, typer.Option(help="symbol of a feather file (default: its name)")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Publish a Parquet/CSV/feather file of bars (and record them in the bar store)."""
    rate = bars_per_second(speed)
    asyncio.run(replay(Settings(), file, rate, timeframe, symbol, quiet=quiet))


def add_replay(app: typer.Typer) -> None:
    app.command("replay")(replay_command)


MAX_SPEED_STEP = 5_000  # bars per publish call at max speed: the progress moves in these steps
SYNTHETIC_START_TS = 1_735_689_600_000  # 2025-01-01 UTC: a fixed start keeps files reproducible


def synthetic_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Parquet (or .csv) file to write")],
    symbols: Annotated[str, typer.Option(help="comma-separated symbols")] = "SYNTHA,SYNTHB",
    timeframe: Annotated[str, typer.Option(help="bar timeframe")] = "1m",
    bars: Annotated[int, typer.Option(min=1, help="bars per symbol")] = 50_000,
    seed: Annotated[int, typer.Option(help="market seed")] = 7,
    signal: Annotated[
        float, typer.Option(min=0.0, max=0.99, help="planted momentum (0: a pure random walk)")
    ] = 0.0,
    vol: Annotated[float, typer.Option(min=0.0, help="sd of the log return per bar")] = 0.002,
    correlation: Annotated[
        float, typer.Option(min=0.0, max=0.99, help="correlation of the symbols' returns")
    ] = 0.0,
    regimes: Annotated[bool, typer.Option(help="calm/volatile volatility regimes")] = False,
) -> None:
    """Write a seeded synthetic market, optionally with a planted learnable signal, to a bar file."""
    names = symbol_names(symbols)
    market = SyntheticMarket(
        names,
        timeframe,
        SYNTHETIC_START_TS,
        seed,
        vol=vol,
        signal=signal,
        correlation=correlation,
        regimes=Regimes() if regimes else None,
    )
    series = market.next_chunk(bars)
    write_bar_file(file, series)
    print(f"wrote {bars} bars x {len(names)} symbols ({timeframe}, seed {seed}, signal {signal}) to {file}")


def add_synthetic(app: typer.Typer) -> None:
    app.command("synthetic")(synthetic_command)


async def replay(
    settings: Settings,
    path: Path,
    rate: float | None,
    timeframe: str | None,
    symbol: str | None = None,
    quiet: bool = False,
) -> int:
    series, skipped = clean_counted(
        read_any_bars(path, settings.timeframe, symbol, timeframe), rules=settings.admission
    )
    if skipped:
        print(f"{skipped_line(skipped)} (of {path})")
    redis = client(settings)
    try:
        await redis.ping()  # Redis down: the command fails before the bar store records anything
    except BaseException:
        await redis.aclose()
        raise
    new = await record(BarStore(settings.home), series)
    bars = time_ordered(series)
    started = time.monotonic()
    step = MAX_SPEED_STEP if rate is None else max(1, int(rate // 10))
    progress = BarProgress(len(bars), "replay", quiet=quiet)
    try:
        for i in range(0, len(bars), step):
            await publish_bars(redis, settings.keys.bars, bars[i : i + step], settings.maxlen)
            progress.advance(len(bars[i : i + step]))
            if rate is not None:
                await asyncio.sleep(max(0.0, started + (i + step) / rate - time.monotonic()))
    finally:
        progress.close()
        await redis.aclose()
    elapsed = time.monotonic() - started
    print(
        f"replayed {len(bars)} bars of {len(series)} series in {elapsed:.1f} s ({new} new in the bar store)"
    )
    return 0
