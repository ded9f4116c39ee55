"""The pydantic path from a batch to PredictionMade: the reference for the predictor's fast JSON."""

from __future__ import annotations

from collections.abc import Sequence

from candlecast.shared.core.feature_rows import Row
from candlecast.shared.core.forecast import PricePaths
from candlecast.shared.core.messages import PredictionMade
from candlecast.shared.core.serving import Predictions, Served, predict_batch

Step = dict[str, float | int | dict[str, float]]


def steps(paths: PricePaths) -> list[list[Step]]:
    """Each row's path as plain dicts shaped like OhlcStep."""
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
        for i in range(len(times))
    ]  # fmt: skip


def messages(batch: Predictions) -> list[PredictionMade]:
    """The batch as validated PredictionMade messages (the predictor writes the same JSON faster)."""
    paths = [[]] * len(batch.rows) if batch.paths is None else steps(batch.paths)
    return [
        PredictionMade(
            symbol=row.symbol,
            timeframe=row.timeframe,
            ts=row.ts,
            horizon=batch.horizon,
            prob_up=p,
            forecast=path,  # plain dicts: pydantic validates them in Rust
            model_version=batch.model_version,
            produced_at=batch.produced_at,
        )
        for row, p, path in zip(batch.rows, batch.prob_up.tolist(), paths, strict=True)
    ]


def predict(served: Served, rows: Sequence[Row], produced_at: int) -> list[PredictionMade]:
    """P(up) (calibrated) for each row and, with a forecaster, its path (median and band, in prices)."""
    return messages(predict_batch(served, rows, produced_at)) if rows else []
