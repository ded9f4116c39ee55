"""Feature rows as the services pass them: values in the feature set's order, names kept apart.

On the `features` stream a row's `values` is a JSON array in its feature set's order
(`FeaturesComputed`, schema version 2); the names are published once per feature-set hash
(`Keys.feature_sets`). Version-1 rows (values by name) are still read, for the feature sets
this code knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from candlecast.shared.core.features import FeatureSet
from candlecast.shared.core.features.catalog import FEATURE_SETS
from candlecast.shared.core.messages import FeatureSetId

KNOWN: Mapping[str, FeatureSet] = {s.hash: s for s in FEATURE_SETS.values()}


class Row(Protocol):
    """What serving reads of a row: a FeatureRow, or a FeaturesComputed message."""

    @property
    def symbol(self) -> str: ...
    @property
    def timeframe(self) -> str: ...
    @property
    def ts(self) -> int: ...
    @property
    def feature_set(self) -> FeatureSetId: ...
    @property
    def values(self) -> Sequence[float]: ...
    @property
    def close(self) -> float: ...


@dataclass(frozen=True, slots=True)
class FeatureRow:
    """One bar's features; `values[i]` is feature `feature_set`'s i-th name."""

    symbol: str
    timeframe: str
    ts: int
    feature_set: FeatureSetId
    values: Sequence[float]
    close: float


def names_of(feature_set_hash: str) -> tuple[str, ...] | None:
    """The ordered names of a feature set this code knows, by hash."""
    known = KNOWN.get(feature_set_hash)
    return known.names if known is not None else None


def ordered(values: Mapping[str, float], names: Sequence[str]) -> list[float]:
    """Named values (a version-1 row) in `names` order; KeyError names a missing one."""
    return [values[name] for name in names]
