"""The pure checks on a model's files and its announcement (core/artifact.py)."""

from __future__ import annotations

import json

import pytest

from candlecast.shared.core.artifact import announcement_mismatch, encode, read_manifest
from candlecast.shared.core.messages import ModelPromoted
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import ModelIntegrityError
from tests.support.models import FS, METRICS, OTHER, FakeBooster

SHA = "c" * 64


class TextBooster(FakeBooster):
    def model_to_string(self) -> str:
        return "tree\n"


def model() -> UpModel:
    return UpModel(TextBooster(), ("f1", "f2"), FS, 1, "5m")


def manifest_with(**changes: object) -> bytes:
    document = json.loads(encode(model())["model.json"])
    document.update(changes)
    return json.dumps(document).encode()


def test_an_encoded_manifest_reads_back() -> None:
    manifest = read_manifest(encode(model())["model.json"])
    assert (manifest.booster.file, manifest.feature_set) == ("booster.txt", FS)


@pytest.mark.parametrize("name", ["model.pkl", "model.joblib", "card.json", "booster.txt.bak"])
def test_a_manifest_pinning_the_booster_under_another_name_is_refused(name: str) -> None:
    data = manifest_with(booster={"file": name, "sha256": SHA})
    with pytest.raises(ModelIntegrityError, match=f"booster: Value error, must be booster.txt, not '{name}'"):
        read_manifest(data)


def test_a_manifest_pinning_the_forecaster_under_another_name_is_refused() -> None:
    data = manifest_with(forecaster={"file": "forecaster.pkl", "sha256": SHA})
    with pytest.raises(ModelIntegrityError, match=r"forecaster: Value error, must be forecaster\.json"):
        read_manifest(data)
    ok = read_manifest(manifest_with(forecaster={"file": "forecaster.json", "sha256": SHA}))
    assert ok.forecaster is not None


def test_invalid_json_names_the_file_without_an_empty_location() -> None:
    with pytest.raises(ModelIntegrityError) as caught:
        read_manifest(b"\x80\x04junk")
    assert str(caught.value).startswith("unreadable model.json: Invalid JSON")


def announced(sha256: str = SHA, fs: object = FS, horizon: int = 1) -> ModelPromoted:
    return ModelPromoted.model_validate(
        {"request_id": "r", "version": "v", "sha256": sha256, "feature_set": fs, "horizon": horizon,
         "metrics": METRICS}
    )  # fmt: skip


def test_the_announced_model_matches() -> None:
    assert announcement_mismatch(announced(), SHA, model()) is None


def test_another_checksum_than_announced_is_named() -> None:
    reason = announcement_mismatch(announced("d" * 64), SHA, model())
    assert reason == f"artifact sha256 {SHA} != announced {'d' * 64}"


def test_another_feature_set_than_announced_is_named() -> None:
    reason = announcement_mismatch(announced(fs=OTHER), SHA, model())
    assert reason == f"announced feature set t v2 ({OTHER.hash}) != the model's t v1 ({FS.hash})"


def test_another_horizon_than_announced_is_named() -> None:
    assert announcement_mismatch(announced(horizon=3), SHA, model()) == "announced horizon 3 != the model's 1"
