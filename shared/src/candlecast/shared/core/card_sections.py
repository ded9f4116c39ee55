"""The sections of a model card v2. Every number is measured, never assumed.

Holdout figures come from the newest rows, which tuning, fitting and calibration never saw.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from candlecast.shared.core.calibration import CalibrationMethod
from candlecast.shared.core.messages import FeatureSetId

ParamValue = float | int | str | bool


def _null_is_nan(value: object) -> object:
    return math.nan if value is None else value


# A score that may be undefined (NaN, e.g. precision with no positive call): written as null
# (`Section` config), read back as NaN, and allowed as null by the JSON Schema.
Score = Annotated[
    float,
    BeforeValidator(_null_is_nan),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "null"}]}),
]


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")


class Metrics(Section):
    """Holdout scores of the calibrated model (threshold 0.5 for the class metrics)."""

    accuracy: Score
    balanced_accuracy: Score
    precision: Score
    recall: Score
    f1: Score
    auc_roc: Score | None = Field(description="None when the holdout holds one class only")
    log_loss: Score
    brier: Score
    calibration_ece: Score = Field(description="Expected calibration error, 15 equal-width bins")
    rows: int = Field(ge=0)


class BaselineScores(Section):
    """A naive forecast on the same holdout rows, and the model's skill against it."""

    prob_up: float = Field(description="The constant P(up) it publishes")
    accuracy: Score
    log_loss: Score
    brier: Score
    log_loss_skill: Score = Field(description="1 - model log loss / baseline log loss (> 0: model better)")
    brier_skill: Score = Field(description="1 - model Brier / baseline Brier")


class Baselines(Section):
    majority: BaselineScores = Field(description="Always the training majority class (p = 1e-6 or 1 - 1e-6)")
    base_rate: BaselineScores = Field(description="Always the training share of up labels")


class MeanStd(Section):
    mean: Score
    std: Score


class FoldScore(Section):
    """One walk-forward validation fold of the best trial (raw, uncalibrated booster)."""

    fold: int = Field(ge=0)
    train_rows: int
    valid_rows: int
    valid_start_ts: int
    valid_end_ts: int
    best_iteration: int
    log_loss: Score
    auc_roc: Score | None
    base_rate_log_loss: Score


class Folds(Section):
    n_splits: int = Field(ge=1)
    log_loss: MeanStd
    auc_roc: MeanStd
    log_loss_skill: MeanStd = Field(description="Against each fold's training base rate")
    folds: list[FoldScore]


class Latency(Section):
    """Milliseconds per call of the predictor's own code path (rows in, predictions out)."""

    p50: float
    p95: float
    p99: float
    samples: int = Field(ge=1)
    batch_rows: int = Field(ge=1, description="Feature rows per call")
    path: str = Field(description="The function timed")


class TrainInfo(Section):
    snapshot_id: str | None = Field(description="Snapshot trained on; None when read from the bar store")
    source: str = Field(description="Where the bars came from", examples=["store", "snapshot", "file"])
    symbols: tuple[str, ...]
    timeframe: str
    horizon: int = Field(ge=1, description="Label horizon in bars")
    start_ts: int = Field(description="First training bar, UTC ms")
    end_ts: int = Field(description="Last training bar, UTC ms")
    holdout_start_ts: int
    holdout_end_ts: int
    rows: int = Field(ge=0, description="Rows before the holdout (tuning + final fit)")
    holdout_rows: int = Field(ge=0)
    class_balance: float = Field(description="Share of up labels in the training rows")
    seed: int


class LeakageChecks(Section):
    label_span_ms: int = Field(description="How far a label looks ahead")
    embargo_ms: int = Field(description="Gap between the last training and first validation label")
    holdout_fraction: float
    n_splits: int
    purge_guard_passed: bool = Field(
        description="Every train ts < earliest validation ts - embargo, all folds"
    )
    holdout_unseen: bool = Field(description="Tuning, fit and calibration used no holdout row")
    label_columns_absent: bool
    feature_lookahead: str = Field(description="How the feature engine keeps the future out")


class FeatureSetInfo(Section):
    id: FeatureSetId
    n_features: int = Field(ge=1)
    names: tuple[str, ...]


class OptunaInfo(Section):
    trials: int = Field(description="Trials run (complete + pruned + failed)")
    completed: int
    pruned: int
    best_trial: int
    best_value: float = Field(description="Mean validation log loss of the best trial")
    duration_s: float
    sampler: str
    pruner: str
    seed: int
    early_stopping_rounds: int
    storage: str | None = Field(default=None, description="Shared study storage, if any")


class CalibrationInfo(Section):
    method: CalibrationMethod
    fitted_on: str = Field(description="Which rows fitted the calibrator", examples=["out-of-fold"])
    rows: int
    shrink: float
    ece_before: Score = Field(description="Holdout ECE of the raw booster")
    ece_after: Score = Field(description="Holdout ECE of the calibrated model")
    log_loss_before: Score
    log_loss_after: Score


class BuyAndHold(Section):
    total_return: Score
    sharpe: Score
    max_drawdown: Score


class Backtest(Section):
    """Sign strategy on the holdout: long when P(up) > 0.5 + band, short below 0.5 - band."""

    fee_bps: float
    band: float
    periods: int
    trades: int
    hit_rate: Score
    total_return: Score
    sharpe: Score = Field(description="Annualised")
    max_drawdown: Score
    turnover: Score = Field(description="Mean absolute position change per period")
    buy_and_hold: BuyAndHold
    method: str = Field(description="How periods and returns were formed")


class GateInfo(Section):
    """The promotion decision, scored on rows neither model trained on."""

    decision: Literal["promoted", "rejected", "forced"]
    reason: str
    margin: float = Field(description="Required log-loss improvement")
    rows: int
    start_ts: int
    challenger_log_loss: Score
    base_rate_log_loss: Score
    champion_version: str | None
    champion_log_loss: Score | None


class Importance(Section):
    name: str
    gain: float


class FeatureReference(Section):
    """One feature's distribution over the training rows: decile bins of its finite values."""

    name: str
    edges: list[float] = Field(
        description="Inner bin edges, ascending and distinct (at most bins - 1); "
        "bin i holds edges[i-1] <= x < edges[i]"
    )
    fractions: list[float] = Field(description="Share of training rows in each of the len(edges) + 1 bins")
    nonfinite: float = Field(
        default=0.0, ge=0, le=1, description="Share of training rows that were NaN or ±inf"
    )


class DriftReference(Section):
    """What live feature rows are compared with (PSI per feature) to detect drift."""

    bins: int = Field(ge=2, description="Bins asked for (quantiles); ties can leave fewer")
    rows: int = Field(ge=1, description="Training rows measured (the holdout excluded)")
    features: list[FeatureReference] = Field(description="One per model feature, in the model's order")
