"""A model as files, without pickle: `booster.txt` (LightGBM's own text) and `model.json`.

`model.json` (a `ModelManifest`) says how to feed and calibrate the booster and pins
`booster.txt` by sha256, so the sha256 of `model.json` alone pins the whole artifact: the
card and the champion pointer carry that one checksum.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from candlecast.shared.core.calibration import Calibrator
from candlecast.shared.core.constants import BOOSTER_FILE, FORECASTER_FILE, MODEL_FILE
from candlecast.shared.core.forecast import Forecaster
from candlecast.shared.core.messages import FeatureSetId, ModelPromoted
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import ModelIntegrityError

if TYPE_CHECKING:
    import lightgbm

    from candlecast.shared.core.cards import CardDraft

ARTIFACT_FORMAT: Literal["candlecast-model"] = "candlecast-model"
ARTIFACT_VERSION = 1

LoadBooster = Callable[[str], "lightgbm.Booster"]  # model text -> booster, e.g. Booster(model_str=...)


class FileRef(BaseModel):
    """A file beside `model.json`, pinned by its checksum."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Name in the version folder")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ModelManifest(BaseModel):
    """`model.json`: everything about a saved model except the booster's trees."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["candlecast-model"] = ARTIFACT_FORMAT
    format_version: int = Field(default=ARTIFACT_VERSION, ge=1, le=ARTIFACT_VERSION)
    kind: Literal["lightgbm-binary"] = "lightgbm-binary"
    feature_set: FeatureSetId
    feature_names: tuple[str, ...] = Field(min_length=1)
    horizon: int = Field(ge=1)
    timeframe: str
    calibrator: Calibrator
    booster: FileRef
    forecaster: FileRef | None = Field(default=None, description="The path forecaster (JSON), if any")

    @field_validator("booster")
    @classmethod
    def _booster_txt(cls, ref: FileRef) -> FileRef:
        return _named(ref, BOOSTER_FILE)

    @field_validator("forecaster")
    @classmethod
    def _forecaster_json(cls, ref: FileRef | None) -> FileRef | None:
        return None if ref is None else _named(ref, FORECASTER_FILE)

    def files(self) -> list[FileRef]:
        """Every file the manifest pins."""
        return [self.booster] if self.forecaster is None else [self.booster, self.forecaster]


def _named(ref: FileRef, name: str) -> FileRef:
    """Each pinned file has its one name: a manifest can't point the loader at any other file."""
    if ref.file != name:
        raise ValueError(f"must be {name}, not {ref.file!r}")
    return ref


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def encode(model: UpModel) -> dict[str, bytes]:
    """File name -> bytes: booster.txt, forecaster.json (if any) and model.json, which pins them."""
    booster_text = str(model.booster.model_to_string()).encode()
    files = {BOOSTER_FILE: booster_text}
    forecaster = None
    if model.forecaster is not None:
        files[FORECASTER_FILE] = model.forecaster.model_dump_json().encode()
        forecaster = FileRef(file=FORECASTER_FILE, sha256=sha256_of(files[FORECASTER_FILE]))
    manifest = ModelManifest(
        feature_set=model.feature_set,
        feature_names=model.feature_names,
        horizon=model.horizon,
        timeframe=model.timeframe,
        calibrator=model.calibrator,
        booster=FileRef(file=BOOSTER_FILE, sha256=sha256_of(booster_text)),
        forecaster=forecaster,
    )
    return {**files, MODEL_FILE: manifest.model_dump_json(indent=2).encode()}


def first_error(exc: ValidationError) -> str:
    """`where: what` of a validation error's first complaint."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def read_manifest(data: bytes) -> ModelManifest:
    try:
        return ModelManifest.model_validate_json(data)
    except ValidationError as exc:
        raise ModelIntegrityError(f"unreadable model.json: {first_error(exc)}") from exc


def decode(
    manifest: ModelManifest, booster_text: bytes, load_booster: LoadBooster, forecaster_json: bytes = b""
) -> UpModel:
    """The model, once `booster_text` (and the forecaster's JSON) match the checksums the manifest pins."""
    if sha256_of(booster_text) != manifest.booster.sha256:
        raise ModelIntegrityError(f"{manifest.booster.file} checksum does not match model.json")
    forecaster = read_forecaster(manifest, forecaster_json)
    try:
        booster = load_booster(booster_text.decode())
        return UpModel(
            booster,
            manifest.feature_names,
            manifest.feature_set,
            manifest.horizon,
            manifest.timeframe,
            manifest.calibrator,
            forecaster,
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelIntegrityError(f"unusable {manifest.booster.file}: {exc}") from exc


def read_forecaster(manifest: ModelManifest, data: bytes) -> Forecaster | None:
    """The forecaster the manifest pins (None when it pins none)."""
    ref = manifest.forecaster
    if ref is None:
        return None
    if sha256_of(data) != ref.sha256:
        raise ModelIntegrityError(f"{ref.file} checksum does not match model.json")
    try:
        return Forecaster.model_validate_json(data)
    except ValidationError as exc:
        raise ModelIntegrityError(f"unusable {ref.file}: {first_error(exc)}") from exc


def announcement_mismatch(event: ModelPromoted, sha256: str, model: UpModel) -> str | None:
    """Why the loaded model (artifact checksum `sha256`) is not the one `event` announced, or None."""
    if event.sha256 != sha256:
        return f"artifact sha256 {sha256} != announced {event.sha256}"
    if event.feature_set != model.feature_set:
        announced, have = event.feature_set, model.feature_set
        return (
            f"announced feature set {announced.name} v{announced.version} ({announced.hash}) "
            f"!= the model's {have.name} v{have.version} ({have.hash})"
        )
    if event.horizon != model.horizon:
        return f"announced horizon {event.horizon} != the model's {model.horizon}"
    return None


def check_matches(model: UpModel, draft: CardDraft) -> None:
    """The card describes this model: features, horizon, timeframe and calibration."""
    card_side = (
        draft.feature_set.id,
        draft.feature_set.names,
        draft.horizon,
        draft.timeframe,
        draft.calibration.method,
        draft.calibration.shrink,
    )
    model_side = (
        model.feature_set,
        model.feature_names,
        model.horizon,
        model.timeframe,
        model.calibrator.method,
        model.calibrator.shrink,
    )
    if card_side != model_side:
        raise ValueError(
            "card does not match the model (feature set, feature names, horizon, timeframe or calibration)"
        )
