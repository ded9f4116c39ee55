"""A champion for the real feature set, in milliseconds: a tiny real booster on DEFAULT's 122 features."""

from __future__ import annotations

from pathlib import Path

from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.calibration import IDENTITY
from candlecast.shared.core.features import DEFAULT
from candlecast.shared.core.model import UpModel
from tests.support.models import card_draft, tiny_booster


def promote_tiny(home: Path, seed: int = 1, now: int = 1_000) -> str:
    """Save and promote a model that reads DEFAULT's rows; returns its version."""
    names = tuple(DEFAULT.names)
    model = UpModel(tiny_booster(names, seed), names, DEFAULT.id, 1, "5m", IDENTITY)
    store = FileModelStore(home)
    version = store.new_version(now)
    store.save(version, model, card_draft(model, now))
    store.promote(version)
    return version
