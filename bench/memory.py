"""Benchmark: resident memory across 20 retrains (trainer) and 50 hot swaps (predictor).

Issue 16, item 9: both must stay flat. Each part runs in its own process, so neither sees
the other's allocations; RSS is read from /proc/self/status (VmRSS), after a `gc.collect()`.

- trainer: `retrain` (the trainer's own path: dataset, Optuna, refit, calibrate, forecaster,
  card, plots, gate, save, promote) on 2 synthetic 5m series of 2,000 bars, 1 trial, 1 thread,
  `--retrains` times into one registry. Before = after the FIRST retrain (imports, numba and
  LightGBM warm-up excluded); after = after the last.
- predictor: `Predictor.on_promoted` (load, verify, swap, `ModelLoaded`) on a private Redis,
  alternating between the versions the trainer saved, with feature rows read through the
  predictor group and predicted (`handle`) between swaps. Before = after one warm-up round
  over every version; after = after `--swaps` more swaps.

    PYTHONPATH=. .venv/bin/python bench/memory.py [--retrains 20] [--swaps 50]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.features import DEFAULT, compute

START = 1_700_000_000_000 // 300_000 * 300_000
SYMBOLS = ["SYM00", "SYM01"]
BARS = 2_000
ROWS_PER_SWAP = 8


def rss_mb() -> float:
    """This process's resident set (VmRSS, Linux), in MiB, after a full collection."""
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


class Quiet:
    """A `Report` that says nothing."""

    def stage(self, stage: str, detail: str) -> None:
        pass

    def trial(self, trial: int, trials: int, best_value: float | None) -> None:
        pass


def trainer(home: Path, retrains: int) -> None:
    from candlecast.ingest.synthetic import synthetic_bars
    from candlecast.shared.adapters.barstore import BarStore
    from candlecast.shared.adapters.clock import now_ms
    from candlecast.shared.adapters.file_registry import FileModelStore
    from candlecast.shared.core.messages import RetrainModel
    from candlecast.trainer.config import TrainConfig
    from candlecast.trainer.job import retrain

    bars = BarStore(home)
    for series in synthetic_bars(SYMBOLS, "5m", START, BARS, seed=5):
        bars.append(series)
    store = FileModelStore(home)
    config = TrainConfig(trials=1, n_splits=2, n_jobs=1, latency_samples=50)
    started = time.perf_counter()
    each = []
    for i in range(retrains):
        command = RetrainModel(symbols=SYMBOLS, trials=1, force=True, request_id=f"bench-{i}")
        retrain(command, bars, store, DEFAULT, config, Quiet(), now_ms, time.perf_counter)
        each.append(rss_mb())
    before, after = each[0], each[-1]
    print(f"trainer_retrains: {retrains} ({time.perf_counter() - started:.0f} s)")
    print("trainer_rss_mb_each:", " ".join(f"{x:.0f}" for x in each))
    print(f"trainer_rss_mb_before: {before:.1f}  (after the first retrain)")
    print(f"trainer_rss_mb_after: {after:.1f}")
    print(f"trainer_rss_mb_growth: {after - before:+.1f}")


def feature_rows(home: Path) -> list[FeatureRow]:
    """Real feature rows (the DEFAULT set) of the newest bars in the store."""
    from candlecast.shared.adapters.barstore import BarStore

    bars = BarStore(home).read(SYMBOLS[0], "5m")
    rows = compute(bars, DEFAULT)
    close = dict(zip(bars.ts.tolist(), bars.close.tolist(), strict=True))
    out = []
    for ts, values in zip(rows.ts.tolist()[-500:], rows.values.tolist()[-500:], strict=True):
        out.append(FeatureRow(bars.symbol, "5m", ts, DEFAULT.id, values, close[ts]))
    return out


async def predictor(home: Path, swaps: int) -> None:
    from redis.asyncio import Redis

    from candlecast.cli.embedded import local_redis
    from candlecast.predictor.app import Predictor
    from candlecast.shared.adapters.feature_wire import encode_rows
    from candlecast.shared.adapters.file_registry import FileModelStore
    from candlecast.shared.adapters.redis_streams import ensure_group, reply_rows
    from candlecast.shared.core.cards import event_metrics
    from candlecast.shared.core.constants import DATA_FIELD, GROUP_PREDICTOR
    from candlecast.shared.core.entries import entry_from_fields
    from candlecast.shared.core.messages import ModelPromoted
    from candlecast.shared.settings import Settings

    store = FileModelStore(home)
    versions = store.versions()
    rows = feature_rows(home)
    with local_redis() as url:
        redis = Redis.from_url(url)
        p = Predictor(redis, Settings(redis_url=url, home=home, consumer="bench"), store)
        await ensure_group(redis, p.keys.features, GROUP_PREDICTOR)
        fed = 0

        async def swap_and_predict(version: str) -> None:
            nonlocal fed
            store.promote(version, action="promote")
            card = store.card(version)
            event = ModelPromoted(
                request_id="", version=version, sha256=card.sha256, feature_set=card.feature_set.id,
                horizon=card.horizon, metrics=event_metrics(card),
            )  # fmt: skip
            await p.on_promoted(event)
            if p.served is None or p.served.version != version:
                raise RuntimeError(f"{version} was not swapped in")
            batch = [rows[(fed + k) % len(rows)] for k in range(ROWS_PER_SWAP)]
            for data in encode_rows(batch):
                await redis.xadd(p.keys.features, {DATA_FIELD: data}, maxlen=1_000)
            fed += ROWS_PER_SWAP
            reply = await redis.xreadgroup(GROUP_PREDICTOR, "bench", {p.keys.features: ">"}, count=100)
            await p.handle([entry_from_fields(i, f) for _, entries in reply_rows(reply) for i, f in entries])
            await redis.xtrim(p.keys.predictions, maxlen=1_000)

        for version in versions:  # warm-up: every version loaded once
            await swap_and_predict(version)
        before = rss_mb()
        started = time.perf_counter()
        for i in range(swaps):
            await swap_and_predict(versions[i % len(versions)])
        after = rss_mb()
        predicted = await redis.xlen(p.keys.predictions_for(SYMBOLS[0]))
        await redis.aclose()
    print(f"predictor_swaps: {swaps} over {len(versions)} versions ({time.perf_counter() - started:.0f} s)")
    print(f"predictor_rows: {fed} fed ({ROWS_PER_SWAP} per swap, warm-up included), {predicted} predicted")
    print(f"predictor_rss_mb_before: {before:.1f}  (after a warm-up round over every version)")
    print(f"predictor_rss_mb_after: {after:.1f}")
    print(f"predictor_rss_mb_growth: {after - before:+.1f}")


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retrains", type=int, default=20)
    parser.add_argument("--swaps", type=int, default=50)
    parser.add_argument("--part", choices=["trainer", "predictor"], help="run one part (on --home)")
    parser.add_argument("--home", type=Path)
    return parser.parse_args()


def main() -> None:
    args = options()
    if args.part == "trainer":
        trainer(args.home, args.retrains)
    elif args.part == "predictor":
        asyncio.run(predictor(args.home, args.swaps))
    else:
        with tempfile.TemporaryDirectory(prefix="candlecast-memory-") as folder:
            for part, n in (("trainer", args.retrains), ("predictor", args.swaps)):
                count = "--retrains" if part == "trainer" else "--swaps"
                cmd = [sys.executable, __file__, "--part", part, "--home", folder, count, str(n)]
                subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
