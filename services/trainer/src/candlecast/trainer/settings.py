"""The trainer's settings: what to train on, when to retrain, how long the training lock lives."""

from __future__ import annotations

from pydantic import Field, field_validator

from candlecast.shared.core.cron import parse_cron
from candlecast.shared.core.features import DEFAULT
from candlecast.shared.core.messages import Symbol
from candlecast.shared.settings import Settings


class TrainerSettings(Settings):
    feature_set: str = Field(default=DEFAULT.name, description="Feature set to train on")
    symbols: list[Symbol] = Field(
        default=["SYNTHA", "SYNTHB"],
        description="Symbols a retrain without symbols trains on (JSON list; ingest reads the same variable)",
    )
    retrain_cron: str = Field(
        default="0 3 * * *",
        description="Scheduled retrains (5-field cron, UTC); empty turns them off",
    )
    lock_ttl_s: float = Field(
        default=60.0, ge=3.0, description="Training lock lifetime; renewed every third of it while training"
    )

    @field_validator("retrain_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if value.strip():
            parse_cron(value)
        return value.strip()
