"""Fitting the path forecaster on pre-holdout rows: scale lines on the older rows, the table on the newest.

Rows are the pre-holdout rows whose whole path ends before the holdout starts. The newest
`calibration_fraction` of them (by time) fit the quantile table; the ridge lines are fitted on
the rows before those, less an embargo of `steps` bars, so the table sees honest residuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import F64, I64, Index, Mask
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.forecast import GRID, SCALE_INPUTS, Forecaster, coherent_table
from candlecast.shared.core.forecast.model import HIGH, LOW, RAW_INPUTS, log_scale
from candlecast.trainer.dataset import Dataset
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.forecast_data import path_rows, thin

MIN_ROWS = 50  # each of the two parts


@dataclass(frozen=True, slots=True)
class ForecastFit:
    forecaster: Forecaster
    fit_rows: int
    calibration_rows: int
    calibration_start_ts: int


def scale_inputs(X: F64, names: Sequence[str]) -> tuple[list[str], list[int], list[bool], F64]:
    """The scale inputs this feature set has, their columns, log flags and transformed values."""
    inputs = [n for n in SCALE_INPUTS if n in names]
    columns = [list(names).index(n) for n in inputs]
    logs = [n not in RAW_INPUTS for n in inputs]
    x = X[:, columns]
    return inputs, columns, logs, np.where(np.asarray(logs, dtype=bool), np.log(np.abs(x) + 1e-12), x)


def log_range(fwd: F64) -> F64:
    """(m, steps): log of the range the first s bars span, floored at 1% of each step's median."""
    span = np.maximum.accumulate(fwd[:, :, HIGH], axis=1) - np.minimum.accumulate(fwd[:, :, LOW], axis=1)
    floor = np.maximum(0.01 * np.median(span, axis=0), 1e-9)
    return np.asarray(np.log(np.maximum(span, floor)), dtype=np.float64)


def ridge(z: F64, target: F64, penalty: float) -> F64:
    """(steps, 1 + k): intercept and slopes per column of `target`; the intercept is not penalised."""
    A = np.c_[np.ones(z.shape[0]), z]
    reg = np.eye(A.shape[1]) * penalty * z.shape[0]
    reg[0, 0] = 0.0
    return np.asarray(np.linalg.solve(A.T @ A + reg, A.T @ target).T, dtype=np.float64)


def split_parts(ts: I64, config: ForecastConfig, step_ms: int) -> tuple[Mask, Mask, int]:
    """(fit, calibration) masks over the path rows and the calibration start."""
    start = int(np.quantile(ts, 1.0 - config.calibration_fraction, method="lower"))
    cal, fit = ts >= start, ts < start - config.steps * step_ms
    if fit.sum() < MIN_ROWS or cal.sum() < MIN_ROWS:
        raise ValueError(
            f"too few rows for a {config.steps}-step forecaster ({fit.sum()} fit, {cal.sum()} table)"
        )
    return fit, cal, start


def fit_forecaster(
    data: Dataset,
    series: Sequence[Bars],
    pre: Index,
    holdout_start_ts: int,
    config: ForecastConfig,
    step_ms: int,
) -> ForecastFit:
    """Scale lines and quantile table from the pre-holdout rows whose paths end before the holdout."""
    clear = pre[data.ts[pre] + config.steps * step_ms < holdout_start_ts]
    got = path_rows(
        data,
        series,
        thin(clear, config.steps, config.max_cells),
        config.steps,
        step_ms,
        config.hist_vol_window,
    )
    ts, X = data.ts[got.rows], data.X[got.rows]
    fit, cal, start = split_parts(ts, config, step_ms)
    inputs, columns, logs, x = scale_inputs(X, data.feature_names)
    center, spread = x[fit].mean(axis=0), x[fit].std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    coef = ridge((x[fit] - center) / spread, log_range(got.fwd[fit]), config.ridge)
    draft = Forecaster(
        steps=config.steps, inputs=tuple(inputs), columns=tuple(columns), log_inputs=tuple(logs),
        center=tuple(center.tolist()), spread=tuple(spread.tolist()), coef=tuple(map(tuple, coef.tolist())),
        levels=GRID, table=np.zeros((config.steps, 4, len(GRID))).tolist(), band=config.band,
    )  # fmt: skip
    scale = np.maximum.accumulate(np.exp(log_scale(draft, X[cal])), axis=1)
    u = got.fwd[cal] / scale[:, :, None]
    table = coherent_table(np.moveaxis(np.quantile(u, GRID, axis=0), 0, -1))
    forecaster = Forecaster.model_validate({**draft.model_dump(), "table": table.tolist()})
    return ForecastFit(forecaster, int(fit.sum()), int(cal.sum()), start)
