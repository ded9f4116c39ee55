"""Bars/s through features -> predictor on a 100k-bar replay, beside the raw ceiling, in one run.

Publishes 100k synthetic bars (10 symbols x 10k) as fast as Redis takes them and times
the arrival of the last feature row and the last prediction, first through the services
(real processes), then through `ceiling.py`'s raw redis-py + orjson hops, alternating,
each on a fresh Redis. Prints the medians and their ratio.
Usage: python bench/pipeline.py [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable, Iterator

import redis

import ceiling
from candlecast.cli.embedded import local_redis
from candlecast.ingest.publish import time_ordered
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.features import DEFAULT, warmup_bars
from harness import market, stack, wait_len

SYMBOLS, BARS = 10, 10_000
Rates = tuple[float, float, float]


@contextlib.contextmanager
def services() -> Iterator[tuple[redis.Redis, Callable[[], None]]]:
    with stack() as s:
        yield s.client, s.fleet.check


@contextlib.contextmanager
def raw() -> Iterator[tuple[redis.Redis, Callable[[], None]]]:
    with local_redis() as url:
        client = redis.Redis.from_url(url)
        hops, stop = ceiling.start(url)
        try:
            ceiling.wait_groups(client)
            yield client, lambda: None
        finally:
            stop.set()
            for hop in hops:
                hop.join(10)


def one_run(
    pipeline: Callable[[], contextlib.AbstractContextManager[tuple[redis.Redis, Callable[[], None]]]],
    payloads: list[str],
    rows: int,
    skip_warmup: bool,
) -> Rates:
    with pipeline() as (client, check):
        started = time.monotonic()
        for i in range(0, len(payloads), 2_000):
            pipe = client.pipeline(transaction=False)
            for p in payloads[i : i + 2_000]:
                pipe.xadd("candlecast:bars", {DATA_FIELD: p})
            pipe.execute()
        published = time.monotonic()
        want = rows if skip_warmup else len(payloads)
        features_done = wait_len(client, "candlecast:features", want, check)
        predictions_done = wait_len(client, "candlecast:predictions", want, check)
    n = len(payloads)
    return n / (published - started), n / (features_done - started), n / (predictions_done - started)


def medians(runs: list[Rates]) -> Rates:
    publish, features, end_to_end = (statistics.median(col) for col in zip(*runs, strict=True))
    return publish, features, end_to_end


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    payloads = [m.model_dump_json() for m in time_ordered(market(SYMBOLS, BARS))]
    rows = SYMBOLS * (BARS - warmup_bars(DEFAULT) + 1)
    ours: list[Rates] = []
    ceil: list[Rates] = []
    for _ in range(args.runs):  # alternating, so both see the same machine
        ours.append(one_run(services, payloads, rows, skip_warmup=True))
        ceil.append(one_run(raw, payloads, rows, skip_warmup=False))
    publish, features, end_to_end = medians(ours)
    _, raw_features, raw_end_to_end = medians(ceil)
    print(f"bars: {SYMBOLS * BARS} ({SYMBOLS} symbols), {DEFAULT.name} set ({len(DEFAULT.names)} features)")
    print(f"publish_bars_per_s_median: {publish:,.0f}")
    print(f"features_bars_per_s_median: {features:,.0f}")
    print(f"end_to_end_bars_per_s_median: {end_to_end:,.0f}   (bars -> features -> predictions on 2 streams)")
    print(f"raw_features_bars_per_s_median: {raw_features:,.0f}")
    print(
        f"raw_end_to_end_bars_per_s_median: {raw_end_to_end:,.0f}   (redis-py + orjson, same hops and bytes)"
    )
    print(f"ratio_end_to_end: {end_to_end / raw_end_to_end:.2f}")
    print(f"runs: {[f'{r[2]:,.0f}' for r in ours]}  raw: {[f'{r[2]:,.0f}' for r in ceil]}")


if __name__ == "__main__":
    main()
