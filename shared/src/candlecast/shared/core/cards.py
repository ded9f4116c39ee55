"""Model cards v2: what a saved model is, what it was trained on and how it scored.

The JSON Schema of `ModelCard` is committed as `model_card.schema.json`; a test fails when
it is stale. Section types live in `card_sections`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from candlecast.shared.core.card_forecast import ForecastInfo
from candlecast.shared.core.card_sections import (
    Backtest,
    Baselines,
    CalibrationInfo,
    DriftReference,
    FeatureSetInfo,
    Folds,
    GateInfo,
    Importance,
    Latency,
    LeakageChecks,
    Metrics,
    OptunaInfo,
    ParamValue,
    TrainInfo,
)
from candlecast.shared.core.messages import FeatureSetId, ModelMetrics

CARD_SCHEMA_VERSION = 2

__all__ = [
    "CARD_SCHEMA_VERSION",
    "CardDraft",
    "ChampionPointer",
    "ModelCard",
    "ParamValue",
    "card_schema",
    "event_metrics",
]


class CardDraft(BaseModel):
    """Everything a card says except what the registry fills in (version, sha256)."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    schema_version: int = Field(default=CARD_SCHEMA_VERSION, ge=2, le=2)
    created_at: int = Field(ge=0, description="UTC epoch ms when the model was trained")
    request_id: str = Field(default="", description="The retrain command that produced it")
    train: TrainInfo
    leakage_checks: LeakageChecks
    feature_set: FeatureSetInfo
    metrics: Metrics = Field(description="Holdout scores of the calibrated model")
    baselines: Baselines
    folds: Folds = Field(description="Walk-forward validation of the best trial, mean ± std")
    calibration: CalibrationInfo
    backtest: Backtest
    latency_ms: Latency
    hyperparameters: dict[str, ParamValue] = Field(description="Final LightGBM parameters")
    best_iteration: int = Field(ge=1, description="Boosting rounds of the final fit")
    optuna: OptunaInfo
    feature_importance: list[Importance] = Field(description="Total gain per feature, largest first")
    gate: GateInfo
    forecast: ForecastInfo | None = Field(default=None, description="The path forecaster on the holdout")
    drift: DriftReference | None = Field(
        default=None,
        description="Each feature's training distribution, for live drift (PSI); None in older cards",
    )
    plots: list[str] = Field(default_factory=list, description="PNG files beside the card")
    notes: list[str] = Field(default_factory=list)

    @property
    def horizon(self) -> int:
        return self.train.horizon

    @property
    def timeframe(self) -> str:
        return self.train.timeframe

    @property
    def feature_set_id(self) -> FeatureSetId:
        return self.feature_set.id

    @property
    def n_features(self) -> int:
        return self.feature_set.n_features


class ModelCard(CardDraft):
    """A saved model's card: the draft plus its registry version and artifact checksum."""

    version: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ChampionPointer(BaseModel):
    """Which saved version is the champion, and the checksum it was promoted with."""

    model_config = ConfigDict(frozen=True)

    version: str
    sha256: str


def card_schema() -> dict[str, object]:
    """The JSON Schema every written card validates against (committed as model_card.schema.json)."""
    schema: dict[str, object] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://candlecast.dev/schemas/model_card.schema.json",
        **ModelCard.model_json_schema(mode="serialization"),
    }
    return schema


def event_metrics(card: CardDraft) -> ModelMetrics:
    """The holdout figures a `ModelPromoted` event carries, from a v2 card."""
    return ModelMetrics(
        log_loss=card.metrics.log_loss,
        brier=card.metrics.brier,
        auc=card.metrics.auc_roc,
        ece=card.metrics.calibration_ece,
        baseline_log_loss=card.baselines.base_rate.log_loss,
        baseline_brier=card.baselines.base_rate.brier,
        n_train=card.train.rows,
        n_holdout=card.metrics.rows,
    )
