"""The card's `forecast` section from a trained run, and its verdict folded into the gate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from candlecast.shared.core.arrays import I64
from candlecast.shared.core.card_forecast import ForecastInfo
from candlecast.shared.core.card_sections import GateInfo
from candlecast.shared.core.forecast import price_paths
from candlecast.shared.core.timeframes import timeframe_ms
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.forecast_data import path_rows, thin
from candlecast.trainer.forecast_eval import RowScores, forecast_gate, pit_rows, score_rows, step_row
from candlecast.trainer.forecast_plots import COVERAGE, FAN, Fan, coverage, fan
from candlecast.trainer.pipeline import Trained
from candlecast.trainer.plots import DPI

FAN_ORIGINS = 8

UNITS = "log return vs the row's last close"
DESIGN = (
    "per-step ridge lines predict the log range of the next s bars from volatility features; "
    "open/high/low/close = scale x empirical quantiles of standardised outcomes, fitted on the newest "
    "pre-holdout rows (not the ridge's); coherent and widening by construction"
)


@dataclass(frozen=True, slots=True)
class ForecastResult:
    info: ForecastInfo
    scores: RowScores
    rows: I64  # dataset positions scored (holdout)


def forecast_section(trained: Trained, config: ForecastConfig) -> ForecastResult | None:
    """Score the forecaster on the holdout; None when the run fitted none."""
    fit, f = trained.forecast, trained.model.forecaster
    if fit is None or f is None:
        return None
    step_ms = timeframe_ms(trained.model.timeframe)
    rows = thin(trained.holdout, f.steps, config.max_cells)
    got = path_rows(trained.data, trained.series, rows, f.steps, step_ms, config.hist_vol_window)
    if got.rows.shape[0] == 0:
        raise ValueError(f"no holdout row has a full {f.steps}-step path to score the forecaster on")
    scores = score_rows(f, trained.data.X[got.rows], got)
    steps = [step_row(scores, i) for i in range(f.steps)]
    info = ForecastInfo(
        design=DESIGN,
        units=UNITS,
        steps=f.steps,
        band=f.band,
        inputs=f.inputs,
        fit_rows=fit.fit_rows,
        calibration_rows=fit.calibration_rows,
        calibration_start_ts=fit.calibration_start_ts,
        hist_vol_window=config.hist_vol_window,
        per_step=steps,
        pit=pit_rows(scores),
        gate=forecast_gate(scores, steps, config),
    )
    return ForecastResult(info, scores, got.rows)


def with_forecast(gate: GateInfo, info: ForecastInfo | None, force: bool) -> GateInfo:
    """The gate, rejecting (or forced past) a forecaster whose coverage or CRPS is clearly off."""
    if info is None or info.gate.passed:
        return gate
    why = "forecast: " + "; ".join(info.gate.failures)
    if gate.decision == "promoted":
        decision, reason = ("forced", f"forced despite: {why}") if force else ("rejected", why)
    else:
        decision, reason = gate.decision, f"{gate.reason}; {why}"
    return gate.model_copy(update={"decision": decision, "reason": reason})


def fan_data(trained: Trained, origins: int = FAN_ORIGINS) -> Fan:
    """Paths from `origins` holdout rows of the first symbol, one path length apart, and the actual closes."""
    data, f = trained.data, trained.model.forecaster
    assert f is not None
    step_ms = timeframe_ms(trained.model.timeframe)
    mine = trained.holdout[data.symbol[trained.holdout] == 0][: origins * f.steps : f.steps]
    bars = next(b for b in trained.series if b.symbol == data.symbols[0])
    ts = data.ts[mine]
    close = bars.close[np.searchsorted(bars.ts, ts)]
    shown = (bars.ts >= ts.min()) & (bars.ts <= ts.max() + f.steps * step_ms) if ts.shape[0] else bars.ts < 0
    paths = price_paths(f, data.X[mine], close, ts, step_ms)
    return Fan(bars.symbol, bars.ts[shown], bars.close[shown], paths)


def write_forecast_plots(folder: Path, trained: Trained, info: ForecastInfo) -> list[str]:
    """The fan chart and the coverage plot, written into `folder`; their file names."""
    drawn = [(FAN, fan(fan_data(trained), info.band)), (COVERAGE, coverage(info))]
    for name, figure in drawn:
        figure.savefig(folder / name, format="png", dpi=DPI)
    return [name for name, _ in drawn]
