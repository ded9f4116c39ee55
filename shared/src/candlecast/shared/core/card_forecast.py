"""The model card's `forecast` section: the path forecaster scored on the holdout against two baselines.

Units are log returns against the row's last close. Baselines: persistence (the last close) for
the median, and a historical-volatility random walk (normal quantiles of the trailing one-bar
returns' RMS times sqrt(step)) for the distribution.
"""

from __future__ import annotations

from pydantic import Field

from candlecast.shared.core.card_sections import Score, Section

BANDS = ("0.5", "0.8", "0.9")  # central bands: (0.25, 0.75), (0.1, 0.9), (0.05, 0.95)


class ForecastStep(Section):
    step: int = Field(ge=1)
    rows: int = Field(ge=0, description="Holdout rows scored at this step")
    coverage: dict[str, Score] = Field(
        description='Share of closes inside the central band, keys "0.5" "0.8" "0.9"'
    )
    coverage_hist_vol: dict[str, Score] = Field(description="The same for the hist-vol random walk")
    coverage_80_by_price: dict[str, Score] = Field(description="80% band coverage of open, high, low, close")
    crps: Score = Field(description="CRPS of the close (2 x mean pinball over the 99-level grid)")
    crps_baseline_hist_vol: Score
    mae_close: Score = Field(description="Mean |median close - actual close| (log return)")
    mae_close_persistence: Score = Field(description="Mean |actual close return|: the last close repeated")
    ic: Score = Field(description="Pearson correlation of the median close return with the actual one")
    rank_ic: Score = Field(description="Spearman correlation of the same")


class PitHistogram(Section):
    step: int = Field(ge=1)
    counts: list[int] = Field(description="PIT of the actual close in 10 equal bins of [0, 1]")


class ForecastGate(Section):
    passed: bool
    failures: list[str]
    coverage_bounds: tuple[float, float] = Field(description="80% band coverage allowed at step 1 and last")
    crps_tolerance: float = Field(description="Share by which CRPS may exceed hist-vol's, beyond noise")


class ForecastInfo(Section):
    design: str
    units: str
    steps: int = Field(ge=1)
    band: tuple[float, float] = Field(description="Served lower and upper quantile levels")
    inputs: tuple[str, ...] = Field(description="Features of the scale lines")
    fit_rows: int = Field(ge=0, description="Pre-holdout rows the scale lines were fitted on")
    calibration_rows: int = Field(ge=0, description="Newest pre-holdout rows the quantile table came from")
    calibration_start_ts: int
    hist_vol_window: int = Field(ge=1)
    per_step: list[ForecastStep]
    pit: list[PitHistogram]
    gate: ForecastGate
