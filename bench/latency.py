"""Bar -> prediction latency at a steady rate (default 1,000 bars/s: 10 symbols x 100 bars/s).

Latency is measured by Redis's own clock: the entry id (ms) of each prediction minus the
entry id of the bar it answers, so no client clock is involved (1 ms resolution). The same
is printed per hop (bar -> feature row -> prediction).
Usage: python bench/latency.py [--seconds 30] [--rate 1000]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import redis

from candlecast.ingest.publish import time_ordered
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.features import DEFAULT, warmup_bars
from harness import market, stack, wait_len

SYMBOLS = 10


def paced_publish(client: redis.Redis, payloads: list[str], rate: float) -> dict[tuple[str, int], int]:
    """XADD at `rate` bars/s in 10 ms ticks; returns (symbol, ts) -> entry ms."""
    sent: dict[tuple[str, int], int] = {}
    per_tick = max(1, round(rate / 100))
    started = time.monotonic()
    for i in range(0, len(payloads), per_tick):
        pipe = client.pipeline(transaction=False)
        chunk = payloads[i : i + per_tick]
        for p in chunk:
            pipe.xadd("candlecast:bars", {DATA_FIELD: p})
        for p, entry_id in zip(chunk, pipe.execute(), strict=True):
            sent[_key(p)] = int(entry_id.split(b"-")[0])
        time.sleep(max(0.0, started + (i + per_tick) / rate - time.monotonic()))
    return sent


def _key(payload: str | bytes) -> tuple[str, int]:
    d = json.loads(payload)
    return d["symbol"], d["ts"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=1_000)
    args = parser.parse_args()
    live = int(args.seconds * args.rate / SYMBOLS)
    warm = warmup_bars(DEFAULT) + 10
    payloads = [m.model_dump_json() for m in time_ordered(market(SYMBOLS, warm + live))]
    with stack() as s:
        head, tail = payloads[: warm * SYMBOLS], payloads[warm * SYMBOLS :]
        paced_publish(s.client, head, 20_000)
        wait_len(s.client, "candlecast:predictions", SYMBOLS * 11, s.fleet.check)
        rows_before = s.client.xlen("candlecast:features")
        before = s.client.xlen("candlecast:predictions")
        sent = paced_publish(s.client, tail, args.rate)
        wait_len(s.client, "candlecast:predictions", before + len(tail), s.fleet.check)
        rows = s.client.xrange("candlecast:features")[rows_before:]
        preds = s.client.xrange("candlecast:predictions")[before:]
    row_at = arrivals(rows)
    pred_at = arrivals(preds)
    lat = np.array([pred_at[k] - sent[k] for k in pred_at], dtype=np.float64)
    hop1 = np.array([row_at[k] - sent[k] for k in pred_at], dtype=np.float64)
    print(
        f"rate: {args.rate:.0f} bars/s for {args.seconds:.0f} s ({len(lat)} predictions), {DEFAULT.name} set"
    )
    print(f"latency_ms_p50: {np.percentile(lat, 50):.1f}")
    print(f"latency_ms_p99: {np.percentile(lat, 99):.1f}")
    print(f"latency_ms_max: {lat.max():.1f}")
    print(f"features hop p50/p99: {np.percentile(hop1, 50):.1f} / {np.percentile(hop1, 99):.1f} ms")
    print(
        f"predictor hop p50/p99: {np.percentile(lat - hop1, 50):.1f} / {np.percentile(lat - hop1, 99):.1f} ms"
    )


def arrivals(entries: list[tuple[bytes, dict[bytes, bytes]]]) -> dict[tuple[str, int], int]:
    """(symbol, ts) -> entry ms of each entry."""
    return {_key(f[b"__data__"]): int(i.split(b"-")[0]) for i, f in entries}


if __name__ == "__main__":
    main()
