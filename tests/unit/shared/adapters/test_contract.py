"""The committed AsyncAPI files are current, and each names the streams its service really uses."""

from __future__ import annotations

import json
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

from candlecast.shared.adapters.contract import files, spec
from candlecast.shared.adapters.contract_brokers import SERVICES
from candlecast.shared.core.constants import DATA_FIELD, Keys
from candlecast.shared.core.messages import (
    BarClosed,
    DeadLettered,
    FeaturesComputed,
    ModelPromoted,
    PredictionMade,
    ResetSeries,
    RetrainModel,
)

REPO = Path(__file__).resolve().parents[4]
DOCS = REPO / "docs" / "asyncapi"
K = Keys()
SYMBOL_STREAM = K.predictions_for("{symbol}")
STREAMS = {
    "bars": K.bars, "features": K.features, "predictions": K.predictions, "predictions_for": SYMBOL_STREAM,
    "commands": K.commands, "models": K.models, "events": K.events, "dlq": K.dlq, "scores": K.scores,
}  # fmt: skip
DLQ = ("send", K.dlq, None, ("DeadLettered",))
# (action, stream, group, message types) of every channel, per service.
USES = {
    "ingest": {
        ("receive", K.bars, "recorder", ("BarClosed", "ResetSeries")),
        ("send", K.bars, None, ("BarClosed",)),
        DLQ,
    },
    "features": {
        ("receive", K.bars, "features", ("BarClosed", "ResetSeries")),
        ("send", K.features, None, ("FeaturesComputed",)),
        DLQ,
    },
    "trainer": {
        ("receive", K.commands, "trainer", ("PromoteModel", "RetrainModel", "RollbackModel")),
        ("send", K.commands, None, ("RetrainModel",)),
        ("send", K.models, None, ("ModelPromoted",)),
        ("send", K.events, None, ("ModelRejected", "TrainingFailed", "TrainingProgress")),
        DLQ,
    },
    "predictor": {
        ("receive", K.features, "predictor", ("FeaturesComputed",)),
        ("receive", K.models, None, ("ModelPromoted",)),
        ("send", K.predictions, None, ("PredictionMade",)),
        ("send", SYMBOL_STREAM, None, ("PredictionMade",)),
        ("send", K.events, None, ("DriftDetected", "ModelLoaded", "ModelRefused")),
        ("receive", K.bars, "scorer", ("BarClosed",)),
        ("receive", K.predictions, "scorer", ("PredictionMade",)),
        ("send", K.scores, None, ("ScoresUpdated",)),
        ("receive", K.features, "drift", ("FeaturesComputed",)),
        ("send", K.commands, None, ("RetrainModel",)),
        DLQ,
    },
}


def ref_name(node: dict[str, Any]) -> str:
    return str(node["$ref"]).rsplit("/", 1)[-1]


def message_types(document: dict[str, Any], channel: dict[str, Any]) -> tuple[str, ...]:
    (message,) = channel["messages"].values()
    components = document["components"]
    payload = components["schemas"][ref_name(components["messages"][ref_name(message)]["payload"])]
    union = payload.get("oneOf") or payload.get("anyOf")
    return tuple(sorted(ref_name(item) for item in union)) if union else (payload["title"],)


def uses(document: dict[str, Any]) -> set[tuple[str, str, str | None, tuple[str, ...]]]:
    found = set()
    for operation in document["operations"].values():
        channel = document["channels"][ref_name(operation["channel"])]
        group = channel["bindings"]["redis"].get("groupName")
        found.add((operation["action"], channel["address"], group, message_types(document, channel)))
    return found


GENERATED = files()  # what `make asyncapi` would write now


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_committed_file_is_current(name: str) -> None:
    path = DOCS / name
    assert path.exists(), f"docs/asyncapi/{name} is missing: run `make asyncapi`"
    stale = f"docs/asyncapi/{name} is stale: run `make asyncapi`"
    assert path.read_text(encoding="utf-8") == GENERATED[name], stale


def test_no_stray_files_in_docs_asyncapi() -> None:
    assert sorted(p.name for p in DOCS.iterdir()) == sorted(GENERATED), "run `make asyncapi`, delete the rest"


def test_yaml_and_json_say_the_same() -> None:
    for service in SERVICES:
        assert yaml.safe_load(GENERATED[f"{service}.yaml"]) == json.loads(GENERATED[f"{service}.json"])


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_lists_the_streams_groups_and_types_it_uses(service: str) -> None:
    assert uses(spec(service)) == USES[service]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_stream_is_a_keys_name(service: str) -> None:
    document = spec(service)
    for channel in document["channels"].values():
        assert channel["address"] in STREAMS.values()
        assert channel["bindings"]["redis"]["channel"] == channel["address"]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_the_streams_a_service_names_in_its_code_are_in_its_spec(service: str) -> None:
    """`keys.<stream>` in the service's source; dlq too, as every grouped reader may dead-letter."""
    source = "\n".join(p.read_text() for p in (REPO / "services" / service / "src").rglob("*.py"))
    named = {STREAMS[name] for name in re.findall(r"keys\.(\w+)", source) if name in STREAMS} | {K.dlq}
    assert named == {channel["address"] for channel in spec(service)["channels"].values()}


def test_info_names_the_service_the_version_and_the_wire_format() -> None:
    info = spec("features")["info"]
    assert info["title"] == "candlecast features"
    assert info["version"] == version("candlecast-shared")
    assert f"`{DATA_FIELD}`" in info["description"]
    assert "one JSON document" in info["description"]


def test_the_symbol_stream_has_its_parameter_and_no_message_claims_a_header() -> None:
    document = spec("predictor")
    (channel,) = [c for c in document["channels"].values() if c["address"] == SYMBOL_STREAM]
    assert set(channel["parameters"]) == {"symbol"}
    for message in document["components"]["messages"].values():
        assert "correlationId" not in message


def test_unions_keep_their_discriminator() -> None:
    schemas = spec("trainer")["components"]["schemas"]
    assert schemas["Command"]["discriminator"] == "command"
    assert schemas["TrainerEvent"]["discriminator"] == "event"


@pytest.mark.parametrize(
    ("service", "model"),
    [
        ("ingest", BarClosed), ("features", ResetSeries), ("features", FeaturesComputed),
        ("trainer", RetrainModel), ("trainer", ModelPromoted), ("predictor", PredictionMade),
        ("predictor", DeadLettered),
    ],
)  # fmt: skip
def test_message_schemas_are_the_pydantic_models(service: str, model: type[Any]) -> None:
    schema = spec(service)["components"]["schemas"][model.__name__]
    expected = model.model_json_schema()
    assert schema.get("required") == expected.get("required")
    assert list(schema["properties"]) == list(expected["properties"])
    assert schema["description"] == expected["description"]
