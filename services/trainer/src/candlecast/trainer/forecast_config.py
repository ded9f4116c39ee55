"""Knobs of the path forecaster: how far, which band, where its table is fitted, what the gate accepts."""

from __future__ import annotations

from dataclasses import dataclass

from candlecast.shared.core.forecast import GRID, MAX_STEPS


@dataclass(frozen=True, slots=True)
class ForecastConfig:
    steps: int = 12  # bars ahead (1..300)
    band: tuple[float, float] = (0.1, 0.9)  # served lower and upper quantile levels
    calibration_fraction: float = 0.3  # newest share of the pre-holdout path rows: the quantile table
    hist_vol_window: int = 288  # trailing bars of the historical-volatility baseline
    max_cells: int = 8_000_000  # rows x steps x 4 kept in memory at once (rows are thinned evenly)
    ridge: float = 1e-3  # L2 penalty per row on the standardised scale inputs
    coverage_bounds: tuple[float, float] = (0.75, 0.85)  # 80% band, step 1 and the last step
    crps_tolerance: float = 0.02  # CRPS may exceed hist-vol's by this share (plus noise) at any step

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= MAX_STEPS:
            raise ValueError(f"forecast steps must be in 1..{MAX_STEPS}, got {self.steps}")
        low, high = self.band
        if low not in GRID or high not in GRID or not low < 0.5 < high:
            raise ValueError(f"band {self.band} must be two levels of 0.01..0.99 around 0.5")
        if not 0.0 < self.calibration_fraction < 1.0:
            raise ValueError("calibration_fraction must be in (0, 1)")
        if not 0.0 <= self.coverage_bounds[0] < self.coverage_bounds[1] <= 1.0:
            raise ValueError(f"coverage_bounds {self.coverage_bounds} must be an interval in [0, 1]")
