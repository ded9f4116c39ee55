"""Feature definitions: a spec per feature and versioned, hashed sets of them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cached_property

from candlecast.shared.core.features.layout import ENGINE_VERSION, MAX_FILL_BARS
from candlecast.shared.core.messages import FeatureSetId


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """What one feature is: name, the bar fields it reads, its windows (in bars)."""

    name: str
    inputs: tuple[str, ...]
    windows: tuple[int, ...]
    category: str
    description: str


@dataclass(frozen=True)
class FeatureSet:
    """A named, versioned, ordered selection of features; rows carry its hash."""

    name: str
    version: int
    specs: tuple[FeatureSpec, ...]

    def __post_init__(self) -> None:
        if len(set(self.names)) != len(self.specs):
            raise ValueError(f"feature set {self.name!r} has duplicate names")

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.specs)

    @cached_property
    def hash(self) -> str:
        """sha256[:16] of the canonical JSON of the specs, name, version and engine version."""
        content = {
            "engine": ENGINE_VERSION,
            "max_fill_bars": MAX_FILL_BARS,
            "name": self.name,
            "version": self.version,
            "specs": [asdict(s) for s in self.specs],
        }
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @cached_property
    def id(self) -> FeatureSetId:
        return FeatureSetId(name=self.name, version=self.version, hash=self.hash)
