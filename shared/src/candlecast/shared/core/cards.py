"""Model cards: what a saved model is, what it was trained on and how it scored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from candlecast.shared.core.messages import FeatureSetId, ModelMetrics
from candlecast.shared.core.model import UpModel

CARD_SCHEMA_VERSION = 1

ParamValue = float | int | str | bool


class CardDraft(BaseModel):
    """Everything a card says except what the registry fills in (version, sha256)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = Field(default=CARD_SCHEMA_VERSION, ge=1)
    created_at: int = Field(ge=0, description="UTC epoch ms when the model was trained")
    feature_set: FeatureSetId
    horizon: int = Field(ge=1, description="Label horizon in bars")
    timeframe: str
    symbols: tuple[str, ...]
    params: dict[str, ParamValue] = Field(description="LightGBM parameters used for the fit")
    metrics: ModelMetrics
    train_start_ts: int = Field(description="First training bar, UTC ms")
    train_end_ts: int = Field(description="Last training bar, UTC ms")
    holdout_start_ts: int = Field(description="First holdout bar, UTC ms")
    n_features: int = Field(ge=1)
    request_id: str = Field(default="", description="The retrain command that produced it")
    notes: str = ""


class ModelCard(CardDraft):
    """A saved model's card: the draft plus its registry version and artifact checksum."""

    version: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ChampionPointer(BaseModel):
    """Which saved version is the champion, and the checksum it was promoted with."""

    model_config = ConfigDict(frozen=True)

    version: str
    sha256: str


def check_matches(model: UpModel, draft: CardDraft) -> None:
    """The card describes this model."""
    if (model.feature_set, model.horizon, model.timeframe, model.n_features) != (
        draft.feature_set,
        draft.horizon,
        draft.timeframe,
        draft.n_features,
    ):
        raise ValueError("card does not match the model (feature set, horizon, timeframe, width)")
