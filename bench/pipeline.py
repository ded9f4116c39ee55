"""Bars/s through features -> predictor on a 100k-bar replay (services as real processes).

Publishes 100k synthetic bars (10 symbols x 10k) as fast as Redis takes them and
times the arrival of the last feature row and the last prediction.
Usage: python bench/pipeline.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from candlecast.ingest.publish import time_ordered
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.features import DEFAULT, warmup_bars
from harness import market, stack, wait_len

SYMBOLS, BARS = 10, 10_000


def one_run() -> tuple[float, float, float]:
    series = market(SYMBOLS, BARS)
    payloads = [m.model_dump_json() for m in time_ordered(series)]
    rows = SYMBOLS * (BARS - warmup_bars(DEFAULT) + 1)
    with stack() as s:
        started = time.monotonic()
        for i in range(0, len(payloads), 2_000):
            pipe = s.client.pipeline(transaction=False)
            for p in payloads[i : i + 2_000]:
                pipe.xadd("candlecast:bars", {DATA_FIELD: p})
            pipe.execute()
        published = time.monotonic()
        features_done = wait_len(s.client, "candlecast:features", rows, s.fleet)
        predictions_done = wait_len(s.client, "candlecast:predictions", rows, s.fleet)
    n = len(payloads)
    return n / (published - started), n / (features_done - started), n / (predictions_done - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = [one_run() for _ in range(parser.parse_args().runs)]
    publish, features, end_to_end = (statistics.median(col) for col in zip(*runs, strict=True))
    print(
        f"bars: {SYMBOLS * BARS} ({SYMBOLS} symbols), "
        f"feature set {DEFAULT.name} ({len(DEFAULT.names)} features)"
    )
    print(f"publish_bars_per_s_median: {publish:,.0f}")
    print(f"features_bars_per_s_median: {features:,.0f}")
    print(f"end_to_end_bars_per_s_median: {end_to_end:,.0f}   (bars -> features -> predictions on 2 streams)")
    print(f"runs: {[f'{r[2]:,.0f}' for r in runs]}")


if __name__ == "__main__":
    main()
