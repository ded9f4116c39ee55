"""The forecaster's plots: a fan chart against actual prices on the holdout, and coverage by step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.card_forecast import BANDS, ForecastInfo
from candlecast.shared.core.forecast import PricePaths
from candlecast.trainer.plots import _empty, _figure

FAN, COVERAGE = "forecast_fan.png", "forecast_coverage.png"


@dataclass(frozen=True, slots=True)
class Fan:
    """Actual closes of one symbol over a holdout window, and paths from origins inside it."""

    symbol: str
    ts: I64
    close: F64
    paths: PricePaths  # (origins, steps, 4)


def hours(ts: I64, start: int) -> F64:
    return np.asarray((ts - start) / 3_600_000, dtype=np.float64)


def fan(data: Fan, band: tuple[float, float]) -> Figure:
    figure = _figure(8.0, 4.5)
    ax = figure.subplots()
    ax.set_title(f"Forecast fan on the holdout: {data.symbol} close, median and {band[0]}-{band[1]} band")
    if data.ts.shape[0] == 0:
        _empty(ax, "no holdout window")
        return figure
    ax.plot(hours(data.ts, data.ts[0]), data.close, color="black", linewidth=1, label="actual close")
    for i in range(data.paths.ts.shape[0]):
        t = hours(data.paths.ts[i], data.ts[0])
        ax.fill_between(t, data.paths.lower[i, :, 3], data.paths.upper[i, :, 3], color="tab:blue", alpha=0.25)
        ax.plot(t, data.paths.median[i, :, 3], color="tab:blue", linewidth=1)
    ax.set_xlabel("hours into the window")
    ax.set_ylabel("price")
    ax.legend(loc="upper left")
    return figure


def coverage(info: ForecastInfo) -> Figure:
    figure = _figure(7.0, 4.5)
    ax = figure.subplots()
    ax.set_title("Close coverage by step on the holdout (dashed: hist-vol random walk)")
    steps = np.array([r.step for r in info.per_step])
    for band, color in zip(BANDS, ("tab:green", "tab:blue", "tab:purple"), strict=True):
        ax.plot(
            steps, [r.coverage[band] for r in info.per_step], color=color, marker=".", label=f"{band} band"
        )
        ax.plot(steps, [r.coverage_hist_vol[band] for r in info.per_step], color=color, linestyle="--")
        ax.axhline(float(band), color=color, linewidth=0.5)
    ax.axhspan(*info.gate.coverage_bounds, color="grey", alpha=0.15, label="gate bounds (0.8)")
    ax.set_xlabel("step (bars ahead)")
    ax.set_ylabel("share of actual closes inside")
    ax.set_ylim(0.0, 1.0)
    ax.legend(loc="lower right", fontsize=8)
    return figure
