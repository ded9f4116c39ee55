"""Bars from an exchange through ccxt: paginated backfill, then live closed candles with gap repair.

- Exchange options (sandbox, proxies, keys, `urls` overrides) go straight to the ccxt constructor;
  ccxt's rate limiter is on unless the options turn it off.
- ccxt never retries: every call here is retried with exponential backoff on NetworkError (which
  covers RateLimitExceeded, DDoSProtection, ExchangeNotAvailable, RequestTimeout), honouring a
  Retry-After header; the retries are counted.
- Closed is decided from the exchange's clock read before the candles are asked for
  (`candles.closed_before`), never from the last row: exchanges serve the forming candle.
- Pagination is ours (since/limit, since moves to the last ts + tf), not ccxt's paginate=True.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import ccxt.async_support as ccxt_async
import numpy as np
from ccxt.base.errors import NetworkError

from candlecast.ingest.candles import (
    SETTLE_MS,
    backoff_s,
    closed_before,
    missing_runs,
    next_poll,
    rows_to_bars,
)
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.core.bars import Bars, concat
from candlecast.shared.core.messages import stream_symbol
from candlecast.shared.core.timeframes import timeframe_ms

log = logging.getLogger("candlecast.ingest.ccxt")
T = TypeVar("T")
Emit = Callable[[list[Bars]], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]
Progress = Callable[[int], None]
PAGE_LIMIT = 1_000  # Binance's klines maximum; exchanges with a lower cap return fewer rows


@dataclass
class Stats:
    bars: int = 0
    gaps_repaired: int = 0
    retries: int = 0
    requests: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    base_s: float = 0.5
    cap_s: float = 30.0


def open_exchange(exchange_id: str, config: Mapping[str, object]) -> ccxt_async.Exchange:
    """An async ccxt exchange built from its id and constructor options (rate limiter on by default)."""
    cls = getattr(ccxt_async, exchange_id, None)
    if cls is None or exchange_id not in ccxt_async.exchanges:
        raise ValueError(f"unknown ccxt exchange {exchange_id!r}")
    exchange: ccxt_async.Exchange = cls({"enableRateLimit": True, **config})
    return exchange


def _retry_after(exchange: ccxt_async.Exchange) -> float | None:
    headers = getattr(exchange, "last_response_headers", None) or {}
    for key, value in dict(headers).items():
        if str(key).lower() == "retry-after":
            try:
                return float(value)
            except ValueError:
                return None
    return None


class CcxtSource:
    """One exchange, several symbols (ccxt spelling), one timeframe."""

    def __init__(
        self,
        exchange: ccxt_async.Exchange,
        symbols: list[str],
        timeframe: str,
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        settle_ms: int = SETTLE_MS,
        page_limit: int = PAGE_LIMIT,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.exchange = exchange
        self.symbols = symbols
        self.timeframe = timeframe
        self.tf = timeframe_ms(timeframe)
        self.policy = policy or RetryPolicy()
        self.sleep = sleep
        self.settle_ms = settle_ms
        self.page_limit = page_limit
        self.before_request = before_request  # e.g. a request budget shared through Redis
        self.stats = Stats()

    async def _call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        for attempt in range(self.policy.attempts):
            if self.before_request is not None:
                await self.before_request()
            self.stats.requests += 1
            try:
                return await fn(*args, **kwargs)
            except NetworkError as exc:
                if attempt + 1 == self.policy.attempts:
                    raise
                delay = backoff_s(attempt, self.policy.base_s, self.policy.cap_s, _retry_after(self.exchange))
                self.stats.retries += 1
                log.warning("%s: %s; retry %d in %.1f s", self.exchange.id, exc, attempt + 1, delay)
                await self.sleep(delay)
        raise AssertionError("unreachable")

    def closed_end(self, exchange_now: int) -> int:
        """End (exclusive) of the open times of candles closed at `exchange_now`."""
        return closed_before(exchange_now, self.tf, self.settle_ms)

    async def exchange_now(self) -> int:
        return int(await self._call(self.exchange.fetch_time))

    async def fetch_range(self, symbol: str, start: int, end: int, progress: Progress | None = None) -> Bars:
        """Every bar the exchange has with start <= ts < end, page by page."""
        name, chunks, since = stream_symbol(symbol), [], start
        if self.exchange.markets is None:  # one request of its own, so each call is one request
            await self._call(self.exchange.load_markets)
        while since < end:
            rows = await self._call(
                self.exchange.fetch_ohlcv, symbol, self.timeframe, since, self.page_limit, {"until": end - 1}
            )
            page = rows_to_bars(rows, name, self.timeframe)
            page = page.take((page.ts >= since) & (page.ts < end))
            if not len(page):
                break
            chunks.append(page)
            since = int(page.ts[-1]) + self.tf
            if progress:
                progress(len(page))
        return concat(chunks) if chunks else Bars.empty(name, self.timeframe)

    def plan(self, store: BarStore, start: int, end: int) -> dict[str, list[tuple[int, int]]]:
        """Per symbol, the runs of closed bar times in [start, end) the bar store lacks."""
        runs = {}
        for symbol in self.symbols:
            stored = store.read(stream_symbol(symbol), self.timeframe, start, end).ts
            runs[symbol] = missing_runs(stored, start, end, self.tf)
        return runs

    async def backfill(
        self,
        store: BarStore,
        emit: Emit,
        start: int,
        end: int | None = None,
        progress: Progress | None = None,
    ) -> Stats:
        """Fetch, record and publish the closed bars of [start, end) the store does not hold yet."""
        closed = closed_before(await self.exchange_now(), self.tf, self.settle_ms)
        end = closed if end is None else min(end, closed)
        for symbol, runs in self.plan(store, start, end).items():
            stored = store.read(stream_symbol(symbol), self.timeframe, start, end).ts
            first_stored = stored[:1]
            for a, b in runs:
                bars = await self.fetch_range(symbol, a, b, progress)
                bars = bars.take(~np.isin(bars.ts, stored))  # candles off the tf grid may be stored
                if len(bars):
                    await emit([bars])
                    self.stats.bars += len(bars)
                    self.stats.gaps_repaired += int(len(first_stored) > 0 and a > first_stored[0])
        return self.stats

    def resume_from(self, store: BarStore, bars_back: int, exchange_now: int) -> dict[str, int]:
        """Per symbol, the first bar to fetch: after the store's last bar, else `bars_back` bars ago."""
        fallback = closed_before(exchange_now, self.tf, self.settle_ms) - bars_back * self.tf
        cursors = {}
        for symbol in self.symbols:
            last = store.last_ts(stream_symbol(symbol), self.timeframe)
            cursors[symbol] = fallback if last is None else last + self.tf
        return cursors

    async def live(self, cursors: dict[str, int], emit: Emit, rounds: int | None = None) -> Stats:
        """Each timeframe boundary: publish the candles closed since each cursor (repairing any gap)."""
        done = 0
        while rounds is None or done < rounds:
            try:
                await self._round(cursors, emit, count_gaps=done > 0)
            except NetworkError as exc:  # an outage: the next round repairs the gap
                log.warning("%s: round failed after retries: %s", self.exchange.id, exc)
            done += 1
            try:
                now = await self.exchange_now()
            except NetworkError:
                await self.sleep(self.tf / 1000)
                continue
            wake = next_poll(now, self.tf, self.settle_ms, min(cursors.values(), default=None))
            await self.sleep((wake - now) / 1000)
        return self.stats

    async def _round(self, cursors: dict[str, int], emit: Emit, count_gaps: bool) -> None:
        end = closed_before(await self.exchange_now(), self.tf, self.settle_ms)
        for symbol in self.symbols:
            start = cursors[symbol]
            if start >= end:
                continue
            bars = await self.fetch_range(symbol, start, end)
            if not len(bars):
                continue
            await emit([bars])
            cursors[symbol] = int(bars.ts[-1]) + self.tf
            self.stats.bars += len(bars)
            self.stats.gaps_repaired += int(count_gaps and end - start > self.tf)
