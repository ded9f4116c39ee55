"""The card's drift section: written, validated by the committed schema, read back; optional."""

from __future__ import annotations

import json

import jsonschema
import numpy as np

from candlecast.shared.adapters.card_schema import committed_schema
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.drift import reference
from candlecast.shared.core.model import UpModel
from tests.support.models import FS, card_draft, tiny_booster

T0 = 1_767_225_600_000


def model() -> UpModel:
    return UpModel(tiny_booster(), ("f1", "f2"), FS, 5, "1m")


def test_a_card_with_a_drift_reference_is_valid_and_reads_back(tmp_path) -> None:
    store, m = FileModelStore(tmp_path), model()
    X = np.random.default_rng(3).normal(size=(1_000, 2))
    X[:10, 1] = np.nan
    drift = reference(X, m.feature_names)
    draft = card_draft(m, T0).model_copy(update={"drift": drift})
    card = store.save(store.new_version(T0), m, draft)
    document = json.loads((tmp_path / "models" / card.version / "card.json").read_text())
    jsonschema.Draft202012Validator(committed_schema()).validate(document)
    assert store.card(card.version).drift == drift
    assert document["drift"]["features"][1]["nonfinite"] == 0.01


def test_a_card_without_one_still_loads(tmp_path) -> None:
    store, m = FileModelStore(tmp_path), model()
    card = store.save(store.new_version(T0), m, card_draft(m, T0))
    document = json.loads((tmp_path / "models" / card.version / "card.json").read_text())
    document.pop("drift")
    (tmp_path / "models" / card.version / "card.json").write_text(json.dumps(document))
    assert store.card(card.version).drift is None
