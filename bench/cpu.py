"""CPU time per bar of each process (features, predictor, Redis) on the 100k-bar replay.

The same replay as `bench/pipeline.py` (10 symbols x 10k bars, published as fast as Redis
takes them), through the services only; each process's user + system CPU seconds from the
first XADD to the last prediction, divided by the bars. Less sensitive than bars/s to what
else the machine is doing, so it shows which process a change made cheaper.
Usage: python bench/cpu.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from urllib.parse import urlparse

import psutil

import pipeline
from candlecast.ingest.publish import time_ordered
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.features import DEFAULT, warmup_bars
from harness import market, stack, wait_len


def redis_process(port: int) -> psutil.Process:
    for proc in psutil.process_iter(["name", "cmdline"]):
        # redis-server retitles itself "redis-server 127.0.0.1:PORT"
        if "redis" in (proc.info["name"] or "") and f":{port}" in " ".join(proc.info["cmdline"] or []):
            return proc
    raise RuntimeError(f"no redis-server on port {port}")


def cpu_seconds(procs: dict[str, psutil.Process]) -> dict[str, float]:
    return {name: sum(proc.cpu_times()[:2]) for name, proc in procs.items()}


def one_run(payloads: list[str]) -> tuple[float, dict[str, float]]:
    """Bars/s end to end, and CPU microseconds per bar of each process."""
    rows = pipeline.SYMBOLS * (pipeline.BARS - warmup_bars(DEFAULT) + 1)
    with stack() as s:
        procs = {name: psutil.Process(p.pid) for name, p in s.fleet.procs.items()}
        procs["redis"] = redis_process(urlparse(s.url).port or 6379)
        before, started = cpu_seconds(procs), time.monotonic()
        for i in range(0, len(payloads), 2_000):
            pipe = s.client.pipeline(transaction=False)
            for p in payloads[i : i + 2_000]:
                pipe.xadd("candlecast:bars", {DATA_FIELD: p})
            pipe.execute()
        done = wait_len(s.client, "candlecast:predictions", rows, s.fleet.check)
        after = cpu_seconds(procs)
    n = len(payloads)
    return n / (done - started), {k: (after[k] - before[k]) / n * 1e6 for k in procs}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    payloads = [m.model_dump_json() for m in time_ordered(market(pipeline.SYMBOLS, pipeline.BARS))]
    runs = [one_run(payloads) for _ in range(args.runs)]
    print(f"bars: {len(payloads)}, {DEFAULT.name} set; medians of {args.runs} runs")
    print(f"end_to_end_bars_per_s_median: {statistics.median(r for r, _ in runs):,.0f}")
    for name in runs[0][1]:
        per_run = [cpu[name] for _, cpu in runs]
        runs_text = ", ".join(f"{x:.1f}" for x in per_run)
        print(f"cpu_us_per_bar_{name}: {statistics.median(per_run):.1f}   (runs {runs_text})")


if __name__ == "__main__":
    main()
