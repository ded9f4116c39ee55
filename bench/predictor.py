"""Benchmark: the predictor's serving path, feature rows in -> PredictionMade JSON out.

Times exactly what `Predictor.handle` runs between decoding and the Redis commit: `triage`,
`predict_batch` (LightGBM + calibration + price paths) and `encode_predictions` (the wire JSON),
on real feature rows of real bars, with a real trained model. Without `--model`, two models are
trained first through `train_offline` (2 trials, on --data): one with a 12-step forecaster and one
with a 300-step one. Medians over repeats; the box's load average is printed beside them.

    PYTHONPATH=. .venv/bin/python bench/predictor.py [--model DIR] [--model300 DIR] [--data FILE ...]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.adapters.model_files import read_model
from candlecast.shared.adapters.prediction_wire import encode_predictions
from candlecast.shared.adapters.wire import encode
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import CARD_FILE
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.features import compute, get_feature_set
from candlecast.shared.core.serving import Served, matrix, predict_batch, triage
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.offline import train_offline
from tests.support.predictions import messages

DATA = [Path("tests/data/BTCUSDT_5m.parquet"), Path("tests/data/ETHUSDT_5m.parquet")]
BATCH = 256
Serve = Callable[[Served, Sequence[FeatureRow]], list[bytes]]
GOALS = {"batched": 50.0, "single_p99": 0.5, "path300": 10.0}  # us/row, ms, ms


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, help="model folder with a 12-step forecaster")
    parser.add_argument("--model300", type=Path, help="model folder with a 300-step forecaster")
    parser.add_argument("--data", type=Path, nargs="+", default=DATA)
    parser.add_argument("--repeats", type=int, default=40, help="batched calls per figure")
    parser.add_argument("--singles", type=int, default=3_000, help="single-row calls per figure")
    return parser.parse_args()


def train(series: Sequence[Bars], steps: int, out: Path) -> Path:
    forecast = ForecastConfig(steps=steps)
    config = TrainConfig(trials=2, n_splits=2, n_jobs=1, latency_samples=20, forecast=forecast)
    _, folder = train_offline(series, horizon=1, timeframe=series[0].timeframe, out=out, config=config)
    return folder


def load(folder: Path) -> Served:
    sha256 = json.loads((folder / CARD_FILE).read_text())["sha256"]
    return Served(read_model(folder, sha256), folder.name)


def feature_rows(served: Served, series: Sequence[Bars]) -> list[FeatureRow]:
    fs = served.model.feature_set
    out: list[FeatureRow] = []
    for bars in series:
        rows = compute(bars, get_feature_set(fs.name))
        close = dict(zip(bars.ts.tolist(), bars.close.tolist(), strict=True))
        for ts, values in zip(rows.ts.tolist(), rows.values.tolist(), strict=True):
            out.append(FeatureRow(bars.symbol, bars.timeframe, ts, fs, values, close[ts]))
    return out


def serve(served: Served, rows: Sequence[FeatureRow]) -> list[bytes]:
    """The predictor's path between decode and commit."""
    usable, _ = triage(served, rows)
    return encode_predictions(predict_batch(served, usable, produced_at=0))


def serve_pydantic(served: Served, rows: Sequence[FeatureRow]) -> list[bytes]:
    """The path before: a validated PredictionMade (OhlcStep and band objects) per row, then its JSON."""
    usable, _ = triage(served, rows)
    return [encode(m) for m in messages(predict_batch(served, usable, produced_at=0))]


def timed(call: Callable[[], object], times: int) -> list[float]:
    """Seconds per call, after 5 warm-up calls."""
    for _ in range(5):
        call()
    out = []
    for _ in range(times):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def figures(
    s12: Served, s300: Served, rows: list[FeatureRow], args: argparse.Namespace, serve: Serve = serve
) -> dict[str, float]:
    n = len(rows) - BATCH
    batches = [rows[(i * 97) % n : (i * 97) % n + BATCH] for i in range(args.repeats)]
    it = iter(batches * 2)
    batched = timed(lambda: serve(s12, next(it)), args.repeats)
    pick = iter(range(10**9))
    single = timed(lambda: serve(s12, [rows[next(pick) % len(rows)]]), args.singles)
    path = timed(lambda: serve(s300, [rows[next(pick) % len(rows)]]), args.singles // 3)
    return {
        "batched": statistics.median(batched) / BATCH * 1e6,
        "single_p50": float(np.percentile(single, 50)) * 1e3,
        "single_p99": float(np.percentile(single, 99)) * 1e3,
        "path300": statistics.median(path) * 1e3,
        "path300_p99": float(np.percentile(path, 99)) * 1e3,
    }


def parts(served: Served, rows: list[FeatureRow], repeats: int) -> None:
    """Where a 256-row batch's time goes (medians, us/row)."""
    batch, model = rows[:BATCH], served.model
    X = matrix(model, batch)
    columns = predict_batch(served, batch, produced_at=0)
    steps: dict[str, Callable[[], object]] = {
        "triage": lambda: triage(served, batch),
        "matrix": lambda: matrix(model, batch),
        "LightGBM, default threads": lambda: model.booster.predict(X),
        "LightGBM, 1 thread": lambda: model.booster.predict(X, num_threads=1),
        "P(up) as served": lambda: model.predict_proba(X),
        "predict_batch (all of the above + paths)": lambda: predict_batch(served, batch, produced_at=0),
        "encode_predictions": lambda: encode_predictions(columns),
    }
    for name, call in steps.items():
        print(f"  {name:<44} {statistics.median(timed(call, repeats)) / BATCH * 1e6:8.1f} us/row")


def report(label: str, f: dict[str, float]) -> None:
    def mark(value: float, goal: float) -> str:
        return "meets" if value <= goal else "MISSES"

    print(f"\n{label} (load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    print(f"{'figure':<44} {'measured':>12} {'goal':>10}")
    rows = [
        ("P(up) + 12-step OHLC, batched 256 (us/row)", f["batched"], GOALS["batched"]),
        ("P(up) + 12-step OHLC, single row p99 (ms)", f["single_p99"], GOALS["single_p99"]),
        ("300-step path of all four series (ms, p50)", f["path300"], GOALS["path300"]),
    ]
    for name, value, goal in rows:
        print(f"{name:<44} {value:>12.3f} {goal:>10.1f}  {mark(value, goal)}")
    print(f"single row p50 {f['single_p50']:.3f} ms; 300-step p99 {f['path300_p99']:.3f} ms")


def main() -> None:
    args = options()
    series = [s for path in args.data for s in read_bar_file(path)]
    with tempfile.TemporaryDirectory(prefix="candlecast-bench-predictor-") as out:
        s12 = load(args.model or train(series, 12, Path(out)))
        s300 = load(args.model300 or train(series, 300, Path(out)))
        rows = feature_rows(s12, series)
        trees, k = s12.model.booster.num_trees(), s12.model.n_features
        print(f"{len(rows):,} feature rows; model {s12.version}: {trees} trees, {k} features")
        print("parts of a 256-row batch:")
        parts(s12, rows, args.repeats)
        report(
            "before: PredictionMade objects, then model_dump_json",
            figures(s12, s300, rows, args, serve_pydantic),
        )
        report("now: predict_batch + encode_predictions", figures(s12, s300, rows, args))
        gc.freeze()  # what the predictor could do after a model load: old objects leave the GC's scans
        report("now, after gc.freeze()", figures(s12, s300, rows, args))


if __name__ == "__main__":
    main()
