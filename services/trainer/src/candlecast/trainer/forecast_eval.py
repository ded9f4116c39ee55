"""The path forecaster on the final holdout: per-row scores, per-step card rows, and its gate.

Scored rows are holdout rows with a full, gap-free path (thinned evenly to `max_cells`);
each model quantile comes from the same `quantile_paths` the predictor serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import F64
from candlecast.shared.core.card_forecast import BANDS, ForecastGate, ForecastStep, PitHistogram
from candlecast.shared.core.forecast import FIELDS, Forecaster, close_quantiles, quantile_paths
from candlecast.shared.core.forecast.model import CLOSE
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.forecast_data import PathRows
from candlecast.trainer.forecast_score import (
    covered,
    crps,
    hist_vol_quantiles,
    ic,
    pit,
    pit_histogram,
    rank_ic,
)

BAND_LEVELS = ((0.25, 0.75), (0.1, 0.9), (0.05, 0.95))  # the central 50, 80 and 90% bands
CHUNK_CELLS = 1_000_000  # rows x steps x levels per quantile_paths call
NOISE_SE = 2.0


@dataclass(frozen=True, slots=True)
class RowScores:
    """Per scored row and step."""

    actual: F64  # (m, H) close log return
    median: F64  # (m, H) median close log return
    crps: F64
    crps_hist_vol: F64
    cover: F64  # (m, H, 3) close inside the 50/80/90% bands
    cover_hist_vol: F64
    cover_80: F64  # (m, H, 4) each price inside its 80% band
    pit: F64  # (m, H)


def _chunk(f: Forecaster, X: F64, fwd: F64, sigma: F64) -> RowScores:
    levels = np.asarray(f.levels)
    qc, y = close_quantiles(f, X, np.arange(levels.shape[0])), fwd[:, :, CLOSE]  # (c, H, L), (c, H)
    hv = hist_vol_quantiles(sigma, f.steps, levels)
    at = [(f.level_index((lo,))[0], f.level_index((hi,))[0]) for lo, hi in BAND_LEVELS]
    q80 = quantile_paths(f, X, f.level_index(BAND_LEVELS[1]))
    return RowScores(
        actual=y,
        median=qc[..., f.level_index((0.5,))[0]],
        crps=crps(y, qc, levels),
        crps_hist_vol=crps(y, hv, levels),
        cover=np.stack([covered(y, qc[..., a], qc[..., b]) for a, b in at], axis=-1),
        cover_hist_vol=np.stack([covered(y, hv[..., a], hv[..., b]) for a, b in at], axis=-1),
        cover_80=covered(fwd, q80[..., 0], q80[..., 1]),
        pit=pit(y, qc),
    )


def score_rows(f: Forecaster, X: F64, got: PathRows) -> RowScores:
    """Every score of every row, computed in chunks that fit in memory."""
    size = max(1, CHUNK_CELLS // (f.steps * len(f.levels)))
    parts = [
        _chunk(f, X[i : i + size], got.fwd[i : i + size], got.sigma[i : i + size])
        for i in range(0, X.shape[0], size)
    ]
    names = RowScores.__slots__
    return RowScores(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})


def mean(a: F64) -> float:
    return float(np.mean(a)) if a.shape[0] else float("nan")


def step_row(s: RowScores, i: int) -> ForecastStep:
    """The card's row for step i + 1."""
    y, m = s.actual[:, i], s.median[:, i]
    return ForecastStep(
        step=i + 1,
        rows=int(y.shape[0]),
        coverage={b: mean(s.cover[:, i, k]) for k, b in enumerate(BANDS)},
        coverage_hist_vol={b: mean(s.cover_hist_vol[:, i, k]) for k, b in enumerate(BANDS)},
        coverage_80_by_price={name: mean(s.cover_80[:, i, k]) for k, name in enumerate(FIELDS)},
        crps=mean(s.crps[:, i]),
        crps_baseline_hist_vol=mean(s.crps_hist_vol[:, i]),
        mae_close=mean(np.abs(y - m)),
        mae_close_persistence=mean(np.abs(y)),
        ic=ic(m, y),
        rank_ic=rank_ic(m, y),
    )


def pit_rows(s: RowScores) -> list[PitHistogram]:
    """PIT histograms at the first, middle and last step."""
    steps = sorted({1, (s.pit.shape[1] + 1) // 2, s.pit.shape[1]})
    return [PitHistogram(step=k, counts=pit_histogram(s.pit[:, k - 1])) for k in steps]


def forecast_gate(s: RowScores, steps: Sequence[ForecastStep], config: ForecastConfig) -> ForecastGate:
    """Fails when 80% coverage at step 1 or the last step, or CRPS at any step, is clearly off.

    "Clearly": beyond the configured bounds or tolerance by more than two standard errors of the
    rows (widened by sqrt(step): neighbouring paths overlap).
    """
    failures = []
    n = max(s.actual.shape[0], 1)
    low, high = config.coverage_bounds
    for step in sorted({steps[0].step, steps[-1].step}):
        c = steps[step - 1].coverage["0.8"]
        se = NOISE_SE * np.sqrt(max(c * (1 - c), 1e-4) * step / n)
        if not low - se <= c <= high + se:
            failures.append(f"80% band covers {c:.3f} at step {step}, outside [{low}, {high}] +- {se:.3f}")
    for row in steps:
        diff = s.crps[:, row.step - 1] - s.crps_hist_vol[:, row.step - 1]
        se = NOISE_SE * float(np.std(diff)) / np.sqrt(n) * np.sqrt(row.step)
        allowed = config.crps_tolerance * row.crps_baseline_hist_vol + se
        if not row.crps - row.crps_baseline_hist_vol <= allowed:
            failures.append(
                f"CRPS {row.crps:.6f} at step {row.step} worse than hist-vol's "
                f"{row.crps_baseline_hist_vol:.6f} by more than {allowed:.6f}"
            )
    return ForecastGate(
        passed=not failures,
        failures=failures,
        coverage_bounds=config.coverage_bounds,
        crps_tolerance=config.crps_tolerance,
    )
