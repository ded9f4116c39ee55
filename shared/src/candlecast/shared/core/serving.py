"""Feature rows in, predictions out, for one model: the predictor's pure step.

It lives in the shared core so the trainer can time exactly this path for the model card
(`measure_latency`, with the timer injected).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from candlecast.shared.core.arrays import F64
from candlecast.shared.core.card_sections import Latency
from candlecast.shared.core.forecast import PricePaths, fast_price_paths
from candlecast.shared.core.messages import MAX_TS_MS, FeaturesComputed
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import Timer
from candlecast.shared.core.timeframes import timeframe_ms

LATENCY_PATH = "candlecast.shared.core.serving: triage + predict_batch"
WARMUP_CALLS = 10


@dataclass(frozen=True, slots=True)
class Served:
    """The model being served and the registry version it came from."""

    model: UpModel
    version: str


def matrix(model: UpModel, rows: Sequence[FeaturesComputed]) -> np.ndarray:
    """(n, k) float64 in the model's feature order."""
    pick = itemgetter(*model.feature_names)  # one C call per row, not one lookup per value
    picked = [pick(row.values) for row in rows]
    return np.array(picked, dtype=np.float64).reshape(len(rows), model.n_features)


@dataclass(frozen=True, slots=True)
class Predictions:
    """One batch's predictions as columns: what its PredictionMade messages carry, row by row."""

    rows: Sequence[FeaturesComputed]
    prob_up: F64  # (n,) calibrated
    paths: PricePaths | None  # None: the model has no forecaster (empty forecasts)
    horizon: int
    model_version: str
    produced_at: int


def predict_batch(served: Served, rows: Sequence[FeaturesComputed], produced_at: int) -> Predictions:
    """One vectorised predict for the whole batch: P(up) and, with a forecaster, the price paths.

    Raises ValueError for anything PredictionMade would refuse (P(up) outside [0, 1], a
    timestamp past MAX_TS_MS), so encoders of these columns need not validate again.
    """
    model = served.model
    X = matrix(model, rows)
    prob = model.predict_proba(X)
    f = model.forecaster
    paths = None
    if f is not None and rows:
        close = np.array([row.close for row in rows], dtype=np.float64)
        ts = np.array([row.ts for row in rows], dtype=np.int64)
        paths = fast_price_paths(f, X, close, ts, timeframe_ms(model.timeframe))
    if not np.all((prob >= 0.0) & (prob <= 1.0)):
        raise ValueError(f"P(up) outside [0, 1]: {prob[~((prob >= 0.0) & (prob <= 1.0))][:3]}")
    if paths is not None and int(paths.ts.max()) > MAX_TS_MS:
        raise ValueError("a forecast bar opens after MAX_TS_MS")
    return Predictions(rows, prob, paths, model.horizon, served.version, produced_at)


def refusal(served_hash: str | None, model: UpModel) -> str | None:
    """Why a model can't serve the rows arriving now, or None if it can."""
    if served_hash is not None and model.feature_set.hash != served_hash:
        return (
            f"model feature set {model.feature_set.name} v{model.feature_set.version} "
            f"({model.feature_set.hash}) differs from incoming rows' ({served_hash})"
        )
    return None


def unusable(served: Served, row: FeaturesComputed) -> str | None:
    """Why this row can't be scored by the served model, or None if it can."""
    want = served.model.feature_set.hash
    if row.feature_set.hash != want:
        return f"feature set {row.feature_set.hash} does not match model {served.version} ({want})"
    names, values = served.model.feature_names, row.values
    if all(map(values.__contains__, names)):  # the usual case, without a Python loop
        return None
    missing = [n for n in names if n not in values]
    if missing:
        return f"row lacks {len(missing)} of the model's features, e.g. {missing[:3]}"
    return None


def triage(
    served: Served, rows: Sequence[FeaturesComputed]
) -> tuple[list[FeaturesComputed], list[tuple[int, str]]]:
    """The rows the model can score, and (index in `rows`, reason) for each other one."""
    usable: list[FeaturesComputed] = []
    refused: list[tuple[int, str]] = []
    for i, row in enumerate(rows):
        reason = unusable(served, row)
        if reason is None:
            usable.append(row)
        else:
            refused.append((i, reason))
    return usable, refused


def measure_latency(
    served: Served, rows: Sequence[FeaturesComputed], timer: Timer, samples: int = 1_000, batch_rows: int = 1
) -> Latency:
    """Milliseconds per `triage` + `predict_batch` call on `batch_rows` rows (cycling through `rows`)."""
    if not rows or samples < 1 or batch_rows < 1:
        raise ValueError("latency needs rows, samples >= 1 and batch_rows >= 1")
    batches = [
        [rows[(i * batch_rows + j) % len(rows)] for j in range(batch_rows)]
        for i in range(samples + WARMUP_CALLS)
    ]
    ms = np.empty(samples, dtype=np.float64)
    for i, batch in enumerate(batches):
        start = timer()
        usable, _ = triage(served, batch)
        predict_batch(served, usable, produced_at=0)
        if i >= WARMUP_CALLS:
            ms[i - WARMUP_CALLS] = (timer() - start) * 1_000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99]).tolist()
    return Latency(p50=p50, p95=p95, p99=p99, samples=samples, batch_rows=batch_rows, path=LATENCY_PATH)
