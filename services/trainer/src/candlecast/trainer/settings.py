"""The trainer's settings: what to train on, when to retrain, how long the training lock lives."""

from __future__ import annotations

from pydantic import Field, field_validator

from candlecast.shared.core.calibration import CalibrationMethod
from candlecast.shared.core.cron import parse_cron
from candlecast.shared.core.features import DEFAULT
from candlecast.shared.core.forecast import GRID, MAX_STEPS
from candlecast.shared.core.messages import Symbol, stream_symbol
from candlecast.shared.settings import Settings
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.gate import DEFAULT_MARGIN


class TrainerSettings(Settings):
    feature_set: str = Field(default=DEFAULT.name, description="Feature set to train on")
    symbols: list[Symbol] = Field(
        default=["SYNTHA", "SYNTHB"],
        description="Symbols a retrain without symbols trains on (JSON list; ingest reads the same "
        "variable, so ccxt's BTC/USDT is read as the stream's BTCUSDT)",
    )
    retrain_cron: str = Field(
        default="0 3 * * *",
        description="Scheduled retrains (5-field cron, UTC); empty turns them off",
    )
    lock_ttl_s: float = Field(
        default=60.0, ge=3.0, description="Training lock lifetime; renewed every third of it while training"
    )

    holdout_fraction: float = Field(default=0.2, gt=0.0, lt=1.0, description="Newest share of rows held out")
    n_splits: int = Field(default=4, ge=1, le=20, description="Walk-forward tuning folds")
    tune_timeout_s: float | None = Field(default=None, gt=0, description="Tuning time limit, seconds")
    calibration: CalibrationMethod = Field(default="isotonic", description="isotonic or sigmoid")
    fee_bps: float = Field(default=5.0, ge=0.0, description="Backtest fee per unit of position change, bps")
    gate_margin: float = Field(
        default=DEFAULT_MARGIN, ge=0.0, description="Log loss gain over base rate and champion"
    )
    train_threads: int = Field(default=2, ge=1, description="LightGBM threads")
    optuna_storage: str = Field(
        default="",
        description="Redis URL of a shared Optuna journal (runs naming one study share it); empty: in memory",
    )

    forecast: bool = Field(default=True, description="Fit, score and serve the path forecaster")
    forecast_steps: int = Field(default=12, ge=1, le=MAX_STEPS, description="Forecast bars ahead")
    forecast_band: tuple[float, float] = Field(
        default=(0.1, 0.9), description="Served lower and upper quantile levels (JSON list, 0.01 steps)"
    )
    forecast_coverage_bounds: tuple[float, float] = Field(
        default=(0.75, 0.85), description="Gate: holdout coverage of the 80% band at step 1 and the last"
    )
    forecast_crps_tolerance: float = Field(
        default=0.02, ge=0.0, description="Gate: CRPS may exceed hist-vol's by this share (plus noise)"
    )

    def train_config(self) -> TrainConfig:
        """The run's knobs (the command adds its trials)."""
        return TrainConfig(
            timeout_s=self.tune_timeout_s,
            holdout_fraction=self.holdout_fraction,
            n_splits=self.n_splits,
            calibration=self.calibration,
            fee_bps=self.fee_bps,
            gate_margin=self.gate_margin,
            n_jobs=self.train_threads,
            forecast=self.forecast_config(),
            study_storage=self.optuna_storage or None,
            study_prefix=self.keys.optuna_journal,
        )

    def forecast_config(self) -> ForecastConfig | None:
        """The path forecaster's knobs, or None when it is switched off."""
        if not self.forecast:
            return None
        return ForecastConfig(
            steps=self.forecast_steps,
            band=self.forecast_band,
            coverage_bounds=self.forecast_coverage_bounds,
            crps_tolerance=self.forecast_crps_tolerance,
        )

    @field_validator("symbols", mode="before")
    @classmethod
    def _stream_symbols(cls, value: object) -> object:
        """Exchange spelling (BTC/USDT, shared with ingest in ccxt mode) as stream symbols."""
        if isinstance(value, list):
            return [stream_symbol(v) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("forecast_band")
    @classmethod
    def _valid_band(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if low not in GRID or high not in GRID or not low < 0.5 < high:
            raise ValueError(f"band {value} must be two levels of 0.01..0.99 around 0.5")
        return value

    @field_validator("forecast_coverage_bounds")
    @classmethod
    def _valid_bounds(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0.0 <= value[0] < value[1] <= 1.0:
            raise ValueError(f"coverage bounds {value} must be an interval in [0, 1]")
        return value

    @field_validator("retrain_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if value.strip():
            parse_cron(value)
        return value.strip()
