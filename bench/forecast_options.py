"""Benchmark: four ways to forecast the close's 0.1/0.5/0.9 quantiles H bars ahead, on one holdout.

Same data path as the trainer: `build_dataset`, `time_split` (newest 20%, embargo), path rows
(`forecast_data.path_rows`) whose paths end before the holdout, scores from `forecast_score`.
Options, scored on the close (log return vs the row's last close) at step 1, the middle and the
last step (1, 6, 12 for H = 12):
- direct: LightGBM quantile models per step (3 per step);
- stacked: one LightGBM quantile model per level, the step a feature (rows x steps stacked);
- recursive: the 1-step LightGBM quantiles, spread scaled by sqrt(step), median by step (no
  simulated bars: recomputing features on sampled paths would cost far more);
- chosen: the trainer's forecaster (`fit_forecaster` on all pre-holdout path rows, with its own
  fit / table split; `close_quantiles`).
LightGBM options learn from the forecaster's scale inputs (volatility features and returns) on
`--rows` sampled pre-holdout rows; their quantiles are sorted per row before scoring.
CRPS = 2 x mean pinball over 0.1/0.5/0.9, divided by the hist-vol random walk's at those levels.
`crossed`: share of holdout rows whose raw quantiles cross at a reported step. `fit s`: wall time.
`µs/row`: median of 5 predictions of the full H-step close path at 3 levels, one thread.

    PYTHONPATH=. .venv/bin/python bench/forecast_options.py --data ../shared/data/*_5m.parquet
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import lightgbm
import numpy as np

from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.core.arrays import F64
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import DEFAULT
from candlecast.shared.core.forecast import SCALE_INPUTS, close_quantiles
from candlecast.shared.core.forecast.model import CLOSE
from candlecast.shared.core.timeframes import timeframe_ms
from candlecast.trainer.dataset import Dataset, build_dataset
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.forecast_data import PathRows, path_rows
from candlecast.trainer.forecast_fit import fit_forecaster
from candlecast.trainer.forecast_score import covered, crps, hist_vol_quantiles
from candlecast.trainer.split import Split, label_span_ms, time_split

LEVELS = np.array([0.1, 0.5, 0.9])
PARAMS = {
    "objective": "quantile", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 200,
    "feature_fraction": 0.9, "num_threads": 1, "verbose": -1, "seed": 7,
}  # fmt: skip
ROUNDS = 150
HORIZON, HOLDOUT, WINDOW = 5, 0.2, 288  # the trainer's defaults: label horizon, holdout share, hist-vol
Predict = Callable[[F64], F64]  # (n, features) -> (n, H, 3) close quantiles


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--timeframe", default="5m")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--rows", type=int, default=60_000, help="training rows for the LightGBM options")
    parser.add_argument("--timed-rows", type=int, default=4_096, help="holdout rows per timed predict")
    return parser.parse_args()


def booster(X: F64, y: F64, level: float) -> lightgbm.Booster:
    data = lightgbm.Dataset(X, label=y, params={"verbose": -1})
    return lightgbm.train({**PARAMS, "alpha": level}, data, num_boost_round=ROUNDS)


def fit_direct(X: F64, fwd: F64, steps: int) -> Predict:
    """3 models per step, every step 1..steps (the full path is what serving needs)."""
    models = {s: [booster(X, fwd[:, s - 1, CLOSE], q) for q in LEVELS] for s in range(1, steps + 1)}

    def predict(Z: F64) -> F64:
        out = np.full((Z.shape[0], steps, 3), np.nan)
        for s, per_level in models.items():
            out[:, s - 1] = np.stack([m.predict(Z, num_threads=1) for m in per_level], axis=-1)
        return out

    return predict


def stack(X: F64, steps: int) -> F64:
    """Each row once per step 1..steps, the step appended as a column (row-major: row, then step)."""
    s = np.tile(np.arange(1, steps + 1, dtype=np.float64), X.shape[0])
    return np.asarray(np.c_[np.repeat(X, steps, axis=0), s], dtype=np.float64)


def fit_stacked(X: F64, fwd: F64, steps: int, rows: int, rng: np.random.Generator) -> Predict:
    """One model per level on `rows` sampled (row, step) pairs; predicts all steps."""
    pick = rng.choice(X.shape[0] * steps, size=min(rows, X.shape[0] * steps), replace=False)
    r, s = np.divmod(pick, steps)
    Xs, y = np.c_[X[r], s + 1.0], fwd[r, s, CLOSE]
    models = [booster(Xs, y, q) for q in LEVELS]

    def predict(Z: F64) -> F64:
        Zs = stack(Z, steps)
        q = np.stack([m.predict(Zs, num_threads=1) for m in models], axis=-1)
        return np.asarray(q.reshape(Z.shape[0], steps, 3), dtype=np.float64)

    return predict


def fit_recursive(X: F64, fwd: F64, steps: int) -> Predict:
    """1-step quantiles; step s: median x s, distances to the median x sqrt(s)."""
    models = [booster(X, fwd[:, 0, CLOSE], q) for q in LEVELS]
    s = np.arange(1, steps + 1, dtype=np.float64)[None, :, None]

    def predict(Z: F64) -> F64:
        q1 = np.sort(np.stack([m.predict(Z, num_threads=1) for m in models], axis=-1), axis=-1)[:, None, :]
        med = q1[..., 1:2]
        return np.asarray(med * s + (q1 - med) * np.sqrt(s), dtype=np.float64)

    return predict


def median_us(predict: Predict, Z: F64, repeats: int = 5) -> float:
    times: list[float] = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(Z)
        times.append(time.perf_counter() - start)
    return float(statistics.median(times) / Z.shape[0] * 1e6)


def scored(steps: int) -> list[int]:
    """The steps reported: 1, the middle one and the last (1, 6, 12 for 12 steps)."""
    return sorted({1, (steps + 1) // 2, steps})


def scores(q: F64, test: PathRows, steps: int) -> list[str]:
    """80% coverage and CRPS / hist-vol's at each scored step, then the share of crossed quantiles."""
    at = np.array(scored(steps)) - 1
    crossed = float((np.diff(q[:, at], axis=-1) < 0).any(axis=-1).mean())
    q = np.sort(q, axis=-1)
    hv = hist_vol_quantiles(test.sigma, steps, LEVELS)
    cells = []
    for s in scored(steps):
        y = test.fwd[:, s - 1, CLOSE]
        cover = float(covered(y, q[:, s - 1, 0], q[:, s - 1, 2]).mean())
        ratio = float(crps(y, q[:, s - 1], LEVELS).mean() / crps(y, hv[:, s - 1], LEVELS).mean())
        cells += [f"{cover:.3f}", f"{ratio:.3f}"]
    return [*cells, f"{crossed:.3f}"]


def header(steps: int) -> str:
    cells = [f"80% cov s{s} | CRPS/hv s{s}" for s in scored(steps)]
    rule = "|---" * (2 * len(cells) + 4) + "|"
    return f"| option | {' | '.join(cells)} | crossed | fit s | µs/row |\n{rule}"


def line(name: str, cells: list[str], fit_s: float, us: float) -> str:
    return f"| {name} | {' | '.join(cells)} | {fit_s:.1f} | {us:.1f} |"


def prepare(
    args: argparse.Namespace, rng: np.random.Generator
) -> tuple[list[Bars], Dataset, Split, PathRows]:
    """The bars, dataset, split (as the trainer's) and `--rows` sampled pre-holdout path rows."""
    series = [s for path in args.data for s in read_bar_file(path, args.timeframe) if len(s)]
    data = build_dataset(series, DEFAULT, HORIZON)
    span = label_span_ms(HORIZON, args.timeframe)
    split = time_split(data.ts, HOLDOUT, embargo_ms=span, label_span=span)
    start, step_ms = int(data.ts[split.holdout].min()), timeframe_ms(args.timeframe)
    clear = split.train[data.ts[split.train] + args.steps * step_ms < start]
    got = path_rows(data, series, clear, args.steps, step_ms, WINDOW)
    pick = np.sort(rng.choice(got.rows.shape[0], size=min(args.rows, got.rows.shape[0]), replace=False))
    return series, data, split, PathRows(got.rows[pick], got.fwd[pick], got.sigma[pick], got.close[pick])


def main() -> None:
    args = options()
    rng, steps, step_ms = np.random.default_rng(7), args.steps, timeframe_ms(args.timeframe)
    series, data, split, train = prepare(args, rng)
    test = path_rows(data, series, split.holdout, steps, step_ms, WINDOW)
    cols = [data.feature_names.index(n) for n in SCALE_INPUTS if n in data.feature_names]
    X, fwd, Xt = data.X[train.rows][:, cols], train.fwd, data.X[test.rows]
    print(f"{len(series)} series, {X.shape[0]:,} training rows x {len(cols)} inputs, {Xt.shape[0]:,} holdout")
    fits: dict[str, Callable[[], Predict]] = {
        "direct per step": lambda: fit_direct(X, fwd, steps),
        "one model, step as feature": lambda: fit_stacked(X, fwd, steps, args.rows, rng),
        "recursive (1-step x sqrt(s))": lambda: fit_recursive(X, fwd, steps),
    }
    print(header(steps))
    for name, fit in fits.items():
        t0 = time.perf_counter()
        predict = fit()
        fit_s = time.perf_counter() - t0
        us = median_us(predict, Xt[: args.timed_rows][:, cols])
        print(line(name, scores(predict(Xt[:, cols]), test, steps), fit_s, us), flush=True)
    t0 = time.perf_counter()
    config = ForecastConfig(steps=steps)
    f = fit_forecaster(
        data, series, split.train, int(data.ts[split.holdout].min()), config, step_ms
    ).forecaster
    fit_s, index = time.perf_counter() - t0, f.level_index((0.1, 0.5, 0.9))

    def chosen(Z: F64) -> F64:
        return close_quantiles(f, Z, index)

    us = median_us(chosen, Xt[: args.timed_rows])
    print(line("chosen: vol scale x empirical table", scores(chosen(Xt), test, steps), fit_s, us))


if __name__ == "__main__":
    main()
