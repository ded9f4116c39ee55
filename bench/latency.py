"""Bar -> prediction latency at a steady rate (default 1,000 bars/s: 10 symbols x 100 bars/s).

Latency is measured by Redis's own clock: the entry id (ms) of each prediction minus the
entry id of the bar it answers, so no client clock is involved (1 ms resolution). The same
is printed per hop (bar -> feature row -> prediction).
The raw ceiling (`ceiling.py`: the same two hops in plain redis-py + orjson, doing no real
work) runs next at the same rate in the same run, so the services' figures can be read
against what this machine's Redis, sockets and scheduler allow.
Usage: python bench/latency.py [--seconds 30] [--rate 1000] [--raw predictions rows]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Callable

import numpy as np
import redis

from candlecast.ingest.publish import time_ordered
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.features import DEFAULT, warmup_bars
from harness import market, wait_len
from pipeline import raw, services

SYMBOLS = 10
Running = Callable[[], contextlib.AbstractContextManager[tuple[redis.Redis, Callable[[], None]]]]


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


def measure(running: Running, payloads: list[str], warm: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Latency (ms) of each prediction of the paced bars after the first `warm` per symbol, and of hop 1."""
    head, tail = payloads[: warm * SYMBOLS], payloads[warm * SYMBOLS :]
    with running() as (client, check):
        paced_publish(client, head, 20_000)
        wait_len(client, "candlecast:predictions", SYMBOLS * 11, check)
        time.sleep(0.5)  # the head is worked off
        rows_before = client.xlen("candlecast:features")
        before = client.xlen("candlecast:predictions")
        sent = paced_publish(client, tail, rate)
        wait_len(client, "candlecast:predictions", before + len(tail), check)
        rows = client.xrange("candlecast:features")[rows_before:]
        preds = client.xrange("candlecast:predictions")[before:]
    row_at, pred_at = arrivals(rows), arrivals(preds)
    lat = np.array([pred_at[k] - sent[k] for k in pred_at], dtype=np.float64)
    hop1 = np.array([row_at[k] - sent[k] for k in pred_at], dtype=np.float64)
    return lat, hop1


def report(prefix: str, lat: np.ndarray, hop1: np.ndarray) -> None:
    print(f"{prefix}latency_ms_p50: {np.percentile(lat, 50):.1f}")
    print(f"{prefix}latency_ms_p99: {np.percentile(lat, 99):.1f}")
    print(f"{prefix}latency_ms_max: {lat.max():.1f}")
    print(f"{prefix}latency_ms_mean: {lat.mean():.2f}   (ids are whole ms: the mean resolves an A/B finer)")
    hop2 = lat - hop1
    print(
        f"{prefix}hops p50/p99 ms: features {np.percentile(hop1, 50):.1f} / {np.percentile(hop1, 99):.1f},"
        f" predictor {np.percentile(hop2, 50):.1f} / {np.percentile(hop2, 99):.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=1_000)
    parser.add_argument(
        "--raw", nargs="*", default=["predictions", "rows"], choices=["predictions", "rows"],
        help="raw ceilings to run after the services: same bytes as the services, and/or row-sized",
    )  # fmt: skip
    args = parser.parse_args()
    live = int(args.seconds * args.rate / SYMBOLS)
    warm = warmup_bars(DEFAULT) + 10
    payloads = [m.model_dump_json() for m in time_ordered(market(SYMBOLS, warm + live))]
    lat, hop1 = measure(services, payloads, warm, args.rate)
    print(
        f"rate: {args.rate:.0f} bars/s for {args.seconds:.0f} s ({len(lat)} predictions), {DEFAULT.name} set"
    )
    report("", lat, hop1)
    for hop2 in args.raw:
        prefix = "raw_" if hop2 == "predictions" else "raw_rows_"
        report(prefix, *measure(raw(hop2), payloads, warm, args.rate))


def arrivals(entries: list[tuple[bytes, dict[bytes, bytes]]]) -> dict[tuple[str, int], int]:
    """(symbol, ts) -> entry ms of each entry."""
    return {_key(f[b"__data__"]): int(i.split(b"-")[0]) for i, f in entries}


if __name__ == "__main__":
    main()
