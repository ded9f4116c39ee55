"""`candlecast backfill --exchange ID --symbols A,B --timeframe TF --since DATE [--until DATE]
[--exchange-config JSON]`: fetch an exchange's closed candles, record and publish those the bar
store lacks. Running it again over the same range adds nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from ccxt.base import errors as ccxt_errors

from candlecast.ingest.ccxt_source import Progress
from candlecast.ingest.cli import symbol_names
from candlecast.ingest.exchange import backfill, emitter
from candlecast.ingest.progress import BarProgress
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.connect import client
from candlecast.shared.settings import Settings


def parse_when(value: str) -> int:
    """UTC epoch ms from an ISO date/datetime (naive means UTC) or from epoch ms digits."""
    if value.isdigit():
        return int(value)
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not a date: {value!r} (use e.g. 2026-01-31 or 2026-01-31T12:00)") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def parse_config(value: str) -> dict[str, object]:
    try:
        config = json.loads(value)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"--exchange-config is not JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise typer.BadParameter("--exchange-config must be a JSON object")
    return config


def backfill_command(
    exchange: Annotated[str, typer.Option(help="ccxt exchange id, e.g. binance")],
    symbols: Annotated[str, typer.Option(help="comma-separated, ccxt spelling: BTC/USDT,ETH/USDT")],
    since: Annotated[str, typer.Option(help="first bar (UTC date or datetime, or epoch ms)")],
    timeframe: Annotated[str, typer.Option(help="bar timeframe")] = "5m",
    until: Annotated[str | None, typer.Option(help="end, exclusive (default: the last closed bar)")] = None,
    exchange_config: Annotated[str, typer.Option(help="ccxt constructor options as JSON")] = "{}",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Backfill closed candles from an exchange: recorded to the bar store, then published."""
    names = symbol_names(symbols)
    span = (parse_when(since), parse_when(until) if until else None)
    config = parse_config(exchange_config)
    try:
        asyncio.run(run_backfill(Settings(), exchange, config, names, timeframe, span, quiet))
    except ccxt_errors.BaseError as exc:  # the exchange refused, or stayed away through every retry
        print(f"{exchange}: {type(exc).__name__}: {str(exc).strip()[:300]}", file=sys.stderr)
        raise typer.Exit(1) from exc


async def run_backfill(
    settings: Settings,
    exchange: str,
    config: dict[str, object],
    symbols: list[str],
    timeframe: str,
    span: tuple[int, int | None],
    quiet: bool = False,
) -> None:
    store, redis = BarStore(settings.home), client(settings)
    await redis.ping()  # Redis down: fail before the exchange is asked or the store written
    bars: list[BarProgress] = []

    def start_progress(total: int) -> Progress:
        bars.append(BarProgress(total, "bars", quiet=quiet))
        return bars[-1].advance

    try:
        emit = emitter(redis, store, settings.keys.bars, settings.maxlen)
        stats, missing = await backfill(
            exchange, config, symbols, timeframe, span, store, emit, start_progress
        )
    finally:
        for bar in bars:
            bar.close()
        await redis.aclose()
    print(
        f"backfilled {stats.bars} new bars of {len(symbols)} symbols ({missing} missing in the range), "
        f"{stats.gaps_repaired} gaps repaired, {stats.retries} retries, {stats.requests} requests"
    )


def add_backfill(app: typer.Typer) -> None:
    app.command("backfill")(backfill_command)
