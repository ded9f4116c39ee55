"""The features service's settings: which feature set, and which partition of the symbols."""

from __future__ import annotations

from pydantic import Field, model_validator

from candlecast.shared.core.constants import GROUP_FEATURES
from candlecast.shared.core.features import DEFAULT
from candlecast.shared.settings import Settings


class FeaturesSettings(Settings):
    feature_set: str = Field(default=DEFAULT.name, description="Feature set to compute")
    partitions: int = Field(default=1, ge=1, description="Features workers sharing the symbols")
    partition: int = Field(default=0, ge=0, description="This worker's partition, 0-based")
    checkpoint_bars: int = Field(
        default=256,
        ge=1,
        description="Bars a series absorbs between full snapshots of its state (a journal holds the rest)",
    )

    @model_validator(mode="after")
    def _partition_in_range(self) -> FeaturesSettings:
        if self.partition >= self.partitions:
            raise ValueError(f"partition {self.partition} is not below partitions {self.partitions}")
        return self

    @property
    def group(self) -> str:
        return GROUP_FEATURES if self.partitions == 1 else f"{GROUP_FEATURES}-p{self.partition}"
