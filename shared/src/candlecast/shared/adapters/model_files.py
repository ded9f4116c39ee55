"""A model's files in its version folder: `booster.txt` + `model.json`, written and verified.

The checksum a card and the champion pointer carry is the sha256 of `model.json`, which in
turn pins `booster.txt` (see `core/artifact.py`). Nothing here unpickles anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from candlecast.shared.adapters.files import sha256_hex, write_atomic
from candlecast.shared.core.artifact import ModelManifest, check_matches, decode, encode, read_manifest
from candlecast.shared.core.constants import LEGACY_MODEL_FILE, MODEL_FILE
from candlecast.shared.core.ports import ModelIntegrityError

if TYPE_CHECKING:
    from pathlib import Path

    import lightgbm

    from candlecast.shared.core.cards import ModelCard
    from candlecast.shared.core.model import UpModel


def write_model(folder: Path, model: UpModel) -> str:
    """Write the booster (and forecaster), then the manifest that pins them; returns its sha256."""
    files = encode(model)
    manifest = files.pop(MODEL_FILE)
    for name, data in files.items():
        write_atomic(folder / name, data)
    write_atomic(folder / MODEL_FILE, manifest)
    return sha256_hex(manifest)


def verify(folder: Path, sha256: str) -> tuple[ModelManifest, dict[str, bytes]]:
    """The manifest and the files it pins (by name), after every checksum matched."""
    manifest_bytes = _read(folder, MODEL_FILE)
    if sha256_hex(manifest_bytes) != sha256:
        raise ModelIntegrityError(f"model {folder.name}: {MODEL_FILE} checksum does not match its card")
    manifest = read_manifest(manifest_bytes)
    files = {}
    for ref in manifest.files():
        data = _read(folder, ref.file)
        if sha256_hex(data) != ref.sha256:
            raise ModelIntegrityError(f"model {folder.name}: {ref.file} checksum does not match model.json")
        files[ref.file] = data
    return manifest, files


def read_model(folder: Path, sha256: str) -> UpModel:
    """The verified model (needs lightgbm)."""
    manifest, files = verify(folder, sha256)
    forecaster = b"" if manifest.forecaster is None else files[manifest.forecaster.file]
    return decode(manifest, files[manifest.booster.file], _booster, forecaster)


def read_checked(folder: Path, card: ModelCard, version: str) -> UpModel:
    """`read_model`, then checked against its card (features, horizon, ...): `ModelIntegrityError` if not."""
    model = read_model(folder, card.sha256)
    try:
        check_matches(model, card)
    except ValueError as exc:
        raise ModelIntegrityError(f"model {version}: {exc}") from exc
    return model


def inside(folder: Path, name: str) -> Path:
    """`folder / name`, refused when it (through a symlink, say) leads out of `folder`."""
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise ModelIntegrityError(f"model {folder.name}: {name} is outside its folder")
    return path


def _read(folder: Path, name: str) -> bytes:
    path = inside(folder, name)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if (folder / LEGACY_MODEL_FILE).exists():
            raise ModelIntegrityError(
                f"model {folder.name}: a pickled {LEGACY_MODEL_FILE} from before model card v2; "
                "it is never loaded (pickle runs code): retrain to replace it"
            ) from None
        raise ModelIntegrityError(f"model {folder.name}: {name} is missing") from None


def _booster(model_text: str) -> lightgbm.Booster:
    import lightgbm

    try:
        return lightgbm.Booster(model_str=model_text)
    except lightgbm.basic.LightGBMError as exc:
        raise ValueError(f"LightGBM refused the model text: {exc}") from exc
