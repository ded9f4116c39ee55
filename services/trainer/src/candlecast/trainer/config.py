"""What a training run may be told beyond the command: split, tuning, calibration, backtest, gate."""

from __future__ import annotations

from dataclasses import dataclass, field

from candlecast.shared.core.calibration import CalibrationMethod
from candlecast.trainer.folds import TUNE_ROWS
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.gate import DEFAULT_MARGIN


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Knobs of one run; the defaults are the issue's (holdout 20%, 200 trials, isotonic, 100 rounds)."""

    trials: int = 200
    timeout_s: float | None = None
    holdout_fraction: float = 0.2
    n_splits: int = 4
    tune_rows: int | None = TUNE_ROWS  # newest pre-holdout rows the folds use (None: all)
    early_stopping_rounds: int = 100
    calibration: CalibrationMethod = "isotonic"
    fee_bps: float = 5.0
    band: float = 0.0
    gate_margin: float = DEFAULT_MARGIN
    seed: int = 0
    n_jobs: int = 2
    latency_samples: int = 500
    forecast: ForecastConfig | None = field(default_factory=ForecastConfig)  # None: no path forecaster
    study_storage: str | None = None  # Redis URL of a shared Optuna journal; None: the study lives in memory
    study_name: str | None = None  # runs naming the same study on the same journal share its trials
    study_prefix: str = ""  # key prefix of the journal on Redis (settings: keys.optuna_journal)

    def __post_init__(self) -> None:
        if not 0.0 < self.holdout_fraction < 1.0:
            raise ValueError(f"holdout_fraction must be in (0, 1), got {self.holdout_fraction}")
        if self.trials < 1 or self.n_splits < 1:
            raise ValueError("trials and n_splits must be >= 1")
