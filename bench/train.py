"""Benchmark: one full retrain (tuning, refit, calibration, card, plots) through `train_offline`.

Default: 200 trials on 90 days x 3 symbols of 1-minute synthetic bars (~390k rows) carrying the
demo's planted signal. `--data FILE [FILE ...]` trains on real bar files instead (e.g. the 5m
BTCUSDT and ETHUSDT Parquet in ../shared/data). Prints wall time, trials completed/pruned, the
median time per trial, rows, and the holdout figures (AUC, log loss vs base rate, ECE before/after).

    PYTHONPATH=. .venv/bin/python bench/train.py [--trials 200] [--days 90] [--symbols 3]
    PYTHONPATH=. .venv/bin/python bench/train.py --data ../shared/data/*_5m.parquet --timeframe 5m
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.cards import ModelCard
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.offline import train_offline

START = 1_735_689_600_000  # 2025-01-01 UTC
BARS_PER_DAY = {"1m": 1_440, "5m": 288}


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--symbols", type=int, default=3)
    parser.add_argument("--signal", type=float, default=0.3, help="planted momentum (0: random walk)")
    parser.add_argument("--horizon", type=int, default=5)
    parser.add_argument("--timeframe", default="1m")
    parser.add_argument("--data", type=Path, nargs="*", help="real bar files instead of synthetic bars")
    parser.add_argument("--jobs", type=int, default=2, help="LightGBM threads")
    parser.add_argument("--timeout", type=float, default=None, help="tuning time limit, seconds")
    parser.add_argument("--out", type=Path, default=None, help="keep the card, model and plots here")
    return parser.parse_args()


def bars_for(args: argparse.Namespace) -> list[Bars]:
    if args.data:
        return [s for path in args.data for s in read_bar_file(path, args.timeframe) if len(s)]
    n = args.days * BARS_PER_DAY[args.timeframe]
    names = [f"SYN{i}" for i in range(args.symbols)]
    return synthetic_bars(names, args.timeframe, START, n, seed=11, signal=args.signal)


def report(card: ModelCard, wall_s: float, trial_s: list[float], rows: int) -> None:
    m, base, cal, opt = card.metrics, card.baselines.base_rate, card.calibration, card.optuna
    auc = "n/a" if m.auc_roc is None else f"{m.auc_roc:.4f}"
    median = statistics.median(trial_s) if trial_s else float("nan")
    print(f"rows {rows:,} ({card.train.rows:,} before the holdout, {m.rows:,} holdout)")
    print(f"wall {wall_s:.1f} s; tuning {opt.duration_s:.1f} s")
    print(f"trials {opt.trials}: completed {opt.completed}, pruned {opt.pruned}")
    print(f"median {median:.2f} s per trial")
    print(f"holdout AUC {auc}; log loss {m.log_loss:.6f} vs base rate {base.log_loss:.6f}")
    print(f"log-loss skill vs base rate {base.log_loss_skill:+.6f}; Brier skill {base.brier_skill:+.6f}")
    print(f"ECE before {cal.ece_before:.4f} -> after {cal.ece_after:.4f} ({cal.method})")
    print(f"gate: {card.gate.decision}: {card.gate.reason}")
    if card.forecast is not None:
        steps = card.forecast.per_step
        cover = ", ".join(f"step {s.step} {s.coverage['0.8']:.3f}" for s in (steps[0], steps[-1]))
        ratios = [s.crps / s.crps_baseline_hist_vol for s in steps]
        print(f"forecast: 80% band covers {cover}; CRPS / hist-vol {min(ratios):.3f}..{max(ratios):.3f}")


def main() -> None:
    args = options()
    series = bars_for(args)
    rows = sum(len(s) for s in series)
    print(f"{len(series)} series of {args.timeframe} bars, {rows:,} rows, horizon {args.horizon}")
    stamps: list[float] = []
    config = TrainConfig(trials=args.trials, timeout_s=args.timeout, n_jobs=args.jobs, latency_samples=200)
    start = time.perf_counter()

    def progress(trial: int, trials: int, best: float | None) -> None:
        stamps.append(time.perf_counter())
        if trial % 20 == 0 or trial == trials:
            print(f"  trial {trial}/{trials} at {stamps[-1] - start:.0f} s, best {best}", flush=True)

    with tempfile.TemporaryDirectory(prefix="candlecast-bench-train-") as tmp:
        card, folder = train_offline(
            series, horizon=args.horizon, timeframe=args.timeframe, out=args.out or Path(tmp),
            config=config, progress=progress,
        )  # fmt: skip
    if args.out:
        print(f"card and plots in {folder}")
    wall = time.perf_counter() - start
    trial_s = [b - a for a, b in zip([start, *stamps], stamps, strict=False)]
    report(card, wall, trial_s, rows)


if __name__ == "__main__":
    main()
