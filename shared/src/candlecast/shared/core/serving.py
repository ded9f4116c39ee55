"""Feature rows in, predictions out, for one model: the predictor's pure step.

It lives in the shared core so the trainer can time exactly this path for the model card
(`measure_latency`, with the timer injected).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import cast

import numpy as np

from candlecast.shared.core.arrays import F64
from candlecast.shared.core.card_sections import Latency
from candlecast.shared.core.feature_rows import Row, names_of
from candlecast.shared.core.forecast import PricePaths, fast_price_paths
from candlecast.shared.core.messages import MAX_TS_MS
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import Timer
from candlecast.shared.core.timeframes import timeframe_ms

LATENCY_PATH = "candlecast.shared.core.serving: scoreable + predict_batch"
WARMUP_CALLS = 10


@dataclass(frozen=True, slots=True)
class Served:
    """The model being served and the registry version it came from."""

    model: UpModel
    version: str


def matrix(model: UpModel, rows: Sequence[Row]) -> np.ndarray:
    """(n, k) float64 in the model's feature order, from rows in their feature set's order.

    ValueError if a value is not a finite number (rows are not validated one by one on read).
    """
    names = feature_names(model)
    try:
        X = np.array([row.values for row in rows]) if rows else np.empty((0, len(names)))
    except ValueError:  # ragged
        raise ValueError(f"feature values are not {len(names)} numbers a row") from None
    if X.dtype.kind not in "fi":  # text, null, nested lists or booleans
        raise ValueError("feature values are not all numbers")
    if X.shape != (len(rows), len(names)):
        raise ValueError(f"feature values are not {len(names)} numbers a row")
    X = X.astype(np.float64, copy=False)
    if not np.isfinite(X).all():
        raise ValueError("feature values are not all finite")
    cols = _columns(names, model.feature_names)
    return X if cols is None else X[:, cols]


@cache
def _columns(row_names: tuple[str, ...], model_names: tuple[str, ...]) -> np.ndarray | None:
    """Where each model feature sits in a row (None: the same order)."""
    if row_names == model_names:
        return None
    at = {name: i for i, name in enumerate(row_names)}
    return np.array([at[name] for name in model_names], dtype=np.intp)


def feature_names(model: UpModel) -> tuple[str, ...]:
    """The order of a row's values for this model's feature set."""
    return names_of(model.feature_set.hash) or model.feature_names


@dataclass(frozen=True, slots=True)
class Predictions:
    """One batch's predictions as columns: what its PredictionMade messages carry, row by row."""

    rows: Sequence[Row]
    prob_up: F64  # (n,) calibrated
    paths: PricePaths | None  # None: the model has no forecaster (empty forecasts)
    horizon: int
    model_version: str
    produced_at: int


def predict_batch(
    served: Served, rows: Sequence[Row], produced_at: int, X: np.ndarray | None = None
) -> Predictions:
    """One vectorised predict for the whole batch: P(up) and, with a forecaster, the price paths.

    Raises ValueError for anything PredictionMade would refuse (P(up) outside [0, 1], a
    timestamp past MAX_TS_MS), so encoders of these columns need not validate again.
    `X` is `matrix(model, rows)` when the caller has built it already.
    """
    model = served.model
    X = matrix(model, rows) if X is None else X
    prob = model.predict_proba(X)
    f = model.forecaster
    paths = None
    if f is not None and rows:
        close = np.array([row.close for row in rows], dtype=np.float64)
        ts = np.array([row.ts for row in rows], dtype=np.int64)
        paths = fast_price_paths(f, X, close, ts, timeframe_ms(model.timeframe))
    if prob.shape[0] and not (prob.min() >= 0.0 and prob.max() <= 1.0):  # a NaN fails both
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


def unusable(served: Served, row: Row) -> str | None:
    """Why this row can't be scored by the served model, or None if it can."""
    want = served.model.feature_set.hash
    if row.feature_set.hash != want:
        return f"feature set {row.feature_set.hash} does not match model {served.version} ({want})"
    width = len(feature_names(served.model))
    if len(row.values) != width:
        return f"row has {len(row.values)} values; feature set {row.feature_set.name} has {width}"
    return None


def triage(served: Served, rows: Sequence[Row]) -> tuple[list[Row], list[tuple[int, str]]]:
    """The rows the model can score, and (index in `rows`, reason) for each other one."""
    usable: list[Row] = []
    refused: list[tuple[int, str]] = []
    want, width = served.model.feature_set.hash, len(feature_names(served.model))
    for i, row in enumerate(rows):
        if row.feature_set.hash == want and len(row.values) == width:
            usable.append(row)  # what `unusable` says None to, without its lookups per row
        else:
            refused.append((i, cast("str", unusable(served, row))))
    return usable, refused


def scoreable(served: Served, rows: Sequence[Row]) -> tuple[list[Row], list[tuple[int, str]], np.ndarray]:
    """`triage`, and the usable rows' matrix; a row whose values are not all finite numbers is
    refused too (looked for row by row only when the batch's matrix can't be built)."""
    usable, refused = triage(served, rows)
    try:
        return usable, refused, matrix(served.model, usable)
    except ValueError:
        pass
    out = {j for j, _ in refused}
    at = [i for i in range(len(rows)) if i not in out]
    kept: list[Row] = []
    for i, row in zip(at, usable, strict=True):
        try:
            matrix(served.model, [row])
        except ValueError as exc:
            refused.append((i, str(exc)))
        else:
            kept.append(row)
    refused.sort()
    return kept, refused, matrix(served.model, kept)


def measure_latency(
    served: Served, rows: Sequence[Row], timer: Timer, samples: int = 1_000, batch_rows: int = 1
) -> Latency:
    """Milliseconds per `scoreable` + `predict_batch` call on `batch_rows` rows (cycling through `rows`)."""
    if not rows or samples < 1 or batch_rows < 1:
        raise ValueError("latency needs rows, samples >= 1 and batch_rows >= 1")
    batches = [
        [rows[(i * batch_rows + j) % len(rows)] for j in range(batch_rows)]
        for i in range(samples + WARMUP_CALLS)
    ]
    ms = np.empty(samples, dtype=np.float64)
    for i, batch in enumerate(batches):
        start = timer()
        usable, _, X = scoreable(served, batch)
        predict_batch(served, usable, 0, X)
        if i >= WARMUP_CALLS:
            ms[i - WARMUP_CALLS] = (timer() - start) * 1_000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99]).tolist()
    return Latency(p50=p50, p95=p95, p99=p99, samples=samples, batch_rows=batch_rows, path=LATENCY_PATH)
