"""Feature rows in, predictions out, for one model: the predictor's pure step.

It lives in the shared core so the trainer can time exactly this path for the model card
(`measure_latency`, with the timer injected).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.card_sections import Latency
from candlecast.shared.core.forecast import Forecaster, price_paths
from candlecast.shared.core.messages import FeaturesComputed, PredictionMade
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import Timer
from candlecast.shared.core.timeframes import timeframe_ms

LATENCY_PATH = "candlecast.shared.core.serving: triage + predict"
WARMUP_CALLS = 10


@dataclass(frozen=True, slots=True)
class Served:
    """The model being served and the registry version it came from."""

    model: UpModel
    version: str


def matrix(model: UpModel, rows: Sequence[FeaturesComputed]) -> np.ndarray:
    """(n, k) float64 in the model's feature order."""
    names = model.feature_names
    flat = [row.values[name] for row in rows for name in names]
    return np.array(flat, dtype=np.float64).reshape(len(rows), len(names))


Step = dict[str, float | int | dict[str, float]]


def forecasts(
    f: Forecaster, X: np.ndarray, rows: Sequence[FeaturesComputed], step_ms: int
) -> list[list[Step]]:
    """Each row's path as plain JSON-ready dicts (numpy to lists once: far cheaper than per-value floats)."""
    close = np.array([row.close for row in rows], dtype=np.float64)
    ts = np.array([row.ts for row in rows], dtype=np.int64)
    paths = price_paths(f, X, close, ts, step_ms)
    times, mid, low, high = (
        paths.ts.tolist(),
        paths.median.tolist(),
        paths.lower.tolist(),
        paths.upper.tolist(),
    )
    return [
        [
            {
                "ts": t, "open": m[0], "high": m[1], "low": m[2], "close": m[3],
                "lower": {"open": lo[0], "high": lo[1], "low": lo[2], "close": lo[3]},
                "upper": {"open": hi[0], "high": hi[1], "low": hi[2], "close": hi[3]},
            }
            for t, m, lo, hi in zip(times[i], mid[i], low[i], high[i], strict=True)
        ]
        for i in range(len(rows))
    ]  # fmt: skip


def predict(served: Served, rows: Sequence[FeaturesComputed], produced_at: int) -> list[PredictionMade]:
    """One vectorised predict for the whole batch; P(up) is the calibrated probability.

    A model with a forecaster adds its path (median and band, in prices) to every prediction.
    """
    if not rows:
        return []
    model = served.model
    X = matrix(model, rows)
    probs = model.predict_proba(X).tolist()
    horizon = model.horizon
    f = model.forecaster
    paths = [[]] * len(rows) if f is None else forecasts(f, X, rows, timeframe_ms(model.timeframe))
    return [
        PredictionMade(
            symbol=row.symbol,
            timeframe=row.timeframe,
            ts=row.ts,
            horizon=horizon,
            prob_up=p,
            forecast=path,  # plain dicts: pydantic validates them in Rust
            model_version=served.version,
            produced_at=produced_at,
        )
        for row, p, path in zip(rows, probs, paths, strict=True)
    ]


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
    missing = [n for n in served.model.feature_names if n not in row.values]
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
    """Milliseconds per `triage` + `predict` call on `batch_rows` rows (cycling through `rows`)."""
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
        predict(served, usable, produced_at=0)
        if i >= WARMUP_CALLS:
            ms[i - WARMUP_CALLS] = (timer() - start) * 1_000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99]).tolist()
    return Latency(p50=p50, p95=p95, p99=p99, samples=samples, batch_rows=batch_rows, path=LATENCY_PATH)
