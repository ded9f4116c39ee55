"""Closed bars from an exchange into a bar store, recorded but not published (for snapshots).

`candlecast snapshot create --exchange ID` reaches this through the `candlecast.fetchers`
entry point (the CLI imports no service), fetching into a scratch store it then freezes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from candlecast.ingest.ccxt_source import CcxtSource, Stats, open_exchange
from candlecast.ingest.publish import record
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.messages import stream_symbol
from candlecast.shared.core.timeframes import DAY_MS


async def fetch_into(store: BarStore, source: CcxtSource, days: float) -> tuple[list[str], Stats]:
    """The closed bars of the source's symbols over the exchange's last `days` days, into `store`."""

    async def keep(series: list[Bars]) -> None:
        await record(store, series)

    start = await source.exchange_now() - int(days * DAY_MS)
    start -= start % source.tf
    stats = await source.backfill(store, keep, start)
    return [stream_symbol(s) for s in source.symbols], stats


def fetch_to_store(
    home: Path, exchange_id: str, symbols: list[str], timeframe: str, days: float, config: dict[str, Any]
) -> list[str]:
    """The entry point: fetch into the bar store under `home`; returns the stream symbols."""

    async def run() -> list[str]:
        exchange = open_exchange(exchange_id, config)
        try:
            names, _ = await fetch_into(BarStore(home), CcxtSource(exchange, symbols, timeframe), days)
        finally:
            await exchange.close()
        return names

    return asyncio.run(run())
