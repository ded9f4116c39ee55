"""Bars/s through features -> predictor on a 100k-bar replay, beside the raw ceiling, in one run.

Publishes 100k synthetic bars (10 symbols x 10k) as fast as Redis takes them and times
the arrival of the last feature row and the last prediction, first through the services
(real processes), then through `ceiling.py`'s raw redis-py + orjson hops (hop 2 writing the
services' bytes, then only a row-sized document), alternating, each on a fresh Redis. Prints
the medians and the ratios.
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


def raw(hop2: str) -> Callable[[], contextlib.AbstractContextManager[tuple[redis.Redis, Callable[[], None]]]]:
    """The raw hops on a fresh Redis; `hop2` as in `ceiling.start`."""

    @contextlib.contextmanager
    def running() -> Iterator[tuple[redis.Redis, Callable[[], None]]]:
        with local_redis() as url:
            client = redis.Redis.from_url(url)
            hops, stop = ceiling.start(url, hop2)
            try:
                ceiling.wait_groups(client)
                yield client, lambda: None
            finally:
                stop.set()
                for hop in hops:
                    hop.join(10)

    return running


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
    same: list[Rates] = []
    light: list[Rates] = []
    for _ in range(args.runs):  # alternating, so all three see the same machine
        ours.append(one_run(services, payloads, rows, skip_warmup=True))
        same.append(one_run(raw("predictions"), payloads, rows, skip_warmup=False))
        light.append(one_run(raw("rows"), payloads, rows, skip_warmup=False))
    publish, features, end_to_end = medians(ours)
    _, raw_features, raw_same = medians(same)
    _, _, raw_light = medians(light)
    print(f"bars: {SYMBOLS * BARS} ({SYMBOLS} symbols), {DEFAULT.name} set ({len(DEFAULT.names)} features)")
    print(f"publish_bars_per_s_median: {publish:,.0f}")
    print(f"features_bars_per_s_median: {features:,.0f}")
    print(f"end_to_end_bars_per_s_median: {end_to_end:,.0f}   (bars -> features -> predictions on 2 streams)")
    print(f"raw_features_bars_per_s_median: {raw_features:,.0f}")
    print(f"raw_end_to_end_bars_per_s_median: {raw_same:,.0f}   (redis-py + orjson, the services' bytes)")
    print(f"raw_rows_end_to_end_bars_per_s_median: {raw_light:,.0f}   (hop 2 writes one row-sized document)")
    print(f"ratio_end_to_end: {end_to_end / raw_same:.2f}")
    print(f"ratio_end_to_end_vs_raw_rows: {end_to_end / raw_light:.2f}")
    print(f"runs: {[f'{r[2]:,.0f}' for r in ours]}")
    print(f"raw runs: {[f'{r[2]:,.0f}' for r in same]}  raw rows runs: {[f'{r[2]:,.0f}' for r in light]}")


if __name__ == "__main__":
    main()
