"""The committed card schema is current, and every card the registry writes validates against it."""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema
import pytest

from candlecast.shared.adapters.card_schema import committed_schema, schema_path, schema_text
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.cards import ModelCard, event_metrics
from candlecast.shared.core.model import UpModel
from tests.support.models import FS, card_draft, tiny_booster

T0 = 1_767_225_600_000
REQUIRED = (
    "metrics.accuracy", "metrics.f1", "metrics.precision", "metrics.recall", "metrics.auc_roc",
    "metrics.log_loss", "metrics.brier", "metrics.calibration_ece", "baselines.base_rate.log_loss",
    "latency_ms.p50", "latency_ms.p95", "latency_ms.p99", "latency_ms.samples",
)  # fmt: skip


def model() -> UpModel:
    return UpModel(tiny_booster(), ("f1", "f2"), FS, 5, "1m")


def validator() -> jsonschema.Draft202012Validator:
    schema = committed_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_schema_is_current() -> None:
    assert schema_path().read_text(encoding="utf-8") == schema_text(), "stale: run `make schema`"


def test_the_paths_readers_rely_on_are_required() -> None:
    schema: Any = committed_schema()
    defs = schema["$defs"]
    for path in REQUIRED:
        node = schema
        for part in path.split("."):
            assert part in node["required"], path
            prop = node["properties"][part]
            node = defs[prop["$ref"].rsplit("/", 1)[-1]] if "$ref" in prop else prop


def test_a_card_written_by_the_registry_validates(tmp_path) -> None:
    store = FileModelStore(tmp_path)
    m = model()
    card = store.save(store.new_version(T0), m, card_draft(m, T0))
    document = json.loads((tmp_path / "models" / card.version / "card.json").read_text())
    validator().validate(document)
    assert document["schema_version"] == 2


def test_an_undefined_score_is_null_on_disk_nan_in_memory_and_valid(tmp_path) -> None:
    store = FileModelStore(tmp_path)
    m = model()
    draft = card_draft(m, T0)
    draft = draft.model_copy(update={"metrics": draft.metrics.model_copy(update={"precision": math.nan})})
    card = store.save(store.new_version(T0), m, draft)
    document = json.loads((tmp_path / "models" / card.version / "card.json").read_text())
    assert document["metrics"]["precision"] is None
    validator().validate(document)
    assert math.isnan(store.card(card.version).metrics.precision)


def test_cards_missing_a_required_path_or_with_extra_fields_fail() -> None:
    m = model()
    good = json.loads(
        ModelCard(**card_draft(m, T0).model_dump(), version="v", sha256="0" * 64).model_dump_json()
    )
    no_ece = json.loads(json.dumps(good))
    del no_ece["metrics"]["calibration_ece"]
    with pytest.raises(jsonschema.ValidationError, match="calibration_ece"):
        validator().validate(no_ece)
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        validator().validate({**good, "surprise": 1})


def test_event_metrics_come_from_the_card() -> None:
    draft = card_draft(model(), T0)
    metrics = event_metrics(draft)
    assert (metrics.log_loss, metrics.auc, metrics.ece) == (0.6925, 0.523, 0.008)
    assert (metrics.baseline_log_loss, metrics.baseline_brier) == (0.6931, 0.2499)
    assert (metrics.n_train, metrics.n_holdout) == (draft.train.rows, draft.metrics.rows)
