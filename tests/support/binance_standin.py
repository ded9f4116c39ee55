"""A local stand-in for Binance's public spot REST API, for tests through the real `ccxt.binance`.

Serves /api/v3/exchangeInfo (BTCUSDT, ETHUSDT spot), /api/v3/klines (startTime/endTime/limit
like Binance: at most 1000 rows, 500 by default, 12 fields, prices as strings) and /api/v3/time.
Configurable: the bars it holds, holes (ts it never produced), a 429 with Retry-After every Nth
request, an outage (503 to everything) and its clock. The current candle is
always served forming, its close off the final value until it closes.

Point ccxt at it with `exchange_config(port)`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np

from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.timeframes import timeframe_ms

MAX_LIMIT = 1000
DEFAULT_LIMIT = 500
FORMING_DRIFT = 0.01  # the forming candle's close is off its final value by up to 1%


def exchange_config(port: int) -> dict[str, Any]:
    """The ccxt constructor options the issue names, pointed at this server."""
    return {
        "options": {"fetchMarkets": ["spot"]},
        "urls": {"api": {"public": f"http://127.0.0.1:{port}/api/v3"}},
    }


class ServerClock:
    """Real time plus an offset, or a manual time that tests move (thread-safe)."""

    def __init__(self, manual_ms: int | None = None) -> None:
        self._manual = manual_ms
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            return now_ms() if self._manual is None else self._manual

    def advance(self, ms: int) -> None:
        with self._lock:
            if self._manual is None:
                raise RuntimeError("advance() needs a manual clock")
            self._manual += ms


@dataclass
class Market:
    """What the server holds and how it misbehaves."""

    bars: dict[str, Bars]  # by Binance market id (BTCUSDT); one timeframe
    clock: ServerClock = field(default_factory=ServerClock)
    holes: set[int] = field(default_factory=set)
    every_429: int = 0  # 0: never
    retry_after_s: int = 0
    down: bool = False  # answer 503 to everything (an outage)
    requests: list[str] = field(default_factory=list)
    klines_served: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def timeframe(self) -> str:
        return next(iter(self.bars.values())).timeframe

    def klines(self, symbol: str, start: int | None, end: int | None, limit: int) -> list[list[Any]]:
        bars, tf, now = self.bars[symbol], timeframe_ms(self.timeframe), self.clock.now()
        keep = (bars.ts <= now) & ~np.isin(bars.ts, np.fromiter(self.holes, np.int64, len(self.holes)))
        if start is not None:
            keep &= bars.ts >= start
        if end is not None:
            keep &= bars.ts <= end
        chosen = np.flatnonzero(keep)
        chosen = chosen[:limit] if start is not None else chosen[-limit:]
        return [self._row(bars, int(i), tf, now) for i in chosen.tolist()]

    def _row(self, bars: Bars, i: int, tf: int, now: int) -> list[Any]:
        ts = int(bars.ts[i])
        o, h, lo, c, v = (float(x[i]) for x in (bars.open, bars.high, bars.low, bars.close, bars.volume))
        if ts + tf > now:  # still forming: values move until the candle closes
            done = (now - ts) / tf
            c = c * (1 + FORMING_DRIFT * (1 - done))
            h, lo, v = max(o, c), min(o, c), v * done
        s = [f"{x:.8f}" for x in (o, h, lo, c, v)]
        return [ts, *s, ts + tf - 1, f"{float(s[3]) * float(s[4]):.8f}", 100, s[4], "0", "0"]


def _symbol_info(market_id: str) -> dict[str, Any]:
    base = market_id.removesuffix("USDT")
    return {
        "symbol": market_id,
        "status": "TRADING",
        "baseAsset": base,
        "baseAssetPrecision": 8,
        "quoteAsset": "USDT",
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "MARKET"],
        "icebergAllowed": True,
        "ocoAllowed": True,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000.00", "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001", "maxQty": "9000.0", "stepSize": "0.00001"},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
    }


class Handler(BaseHTTPRequestHandler):
    """Routes a GET to the stand-in's endpoints; `market` is set per server."""

    market: Market

    def log_message(self, *args: object) -> None:  # quiet
        return

    def _send(self, code: int, body: object, headers: dict[str, str] | None = None) -> None:
        html = isinstance(body, str)
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/html" if html else "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with self.market.lock:
            self.market.requests.append(url.path)
            n = len(self.market.requests)
        self._route(url.path, query, n)

    def _route(self, path: str, query: dict[str, str], n: int) -> None:
        if self.market.down:
            self._send(503, "<html><body>503 Service Temporarily Unavailable</body></html>")
        elif self.market.every_429 and n % self.market.every_429 == 0:
            headers = {"Retry-After": str(self.market.retry_after_s)}
            self._send(429, {"code": -1003, "msg": "Too many requests"}, headers)
        elif path.endswith("/exchangeInfo"):
            info = [_symbol_info(s) for s in self.market.bars]
            self._send(200, {"timezone": "UTC", "serverTime": self.market.clock.now(), "symbols": info})
        elif path.endswith("/time"):
            self._send(200, {"serverTime": self.market.clock.now()})
        elif path.endswith("/klines"):
            self._klines(query)
        else:
            self._send(404, {"code": -1, "msg": f"no route {path}"})

    def _klines(self, query: dict[str, str]) -> None:
        if query.get("symbol") not in self.market.bars or query.get("interval") != self.market.timeframe:
            self._send(400, {"code": -1121, "msg": "Invalid symbol or interval."})
            return
        start, end = query.get("startTime"), query.get("endTime")
        limit = min(int(query.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        rows = self.market.klines(
            query["symbol"], int(start) if start else None, int(end) if end else None, limit
        )
        with self.market.lock:
            self.market.klines_served += 1
        self._send(200, rows)


@contextmanager
def serve(market: Market) -> Iterator[int]:
    """Run the stand-in on a free port in a thread; yields the port."""
    handler = type("BoundHandler", (Handler,), {"market": market})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
