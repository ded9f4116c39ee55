"""The file model registry (a `ModelStore`): versioned artifacts, cards, an atomic champion pointer.

Layout under `root`: `models/{version}/model.joblib`, `models/{version}/card.json` and
`models/CHAMPION` (JSON: version + sha256). Nothing here reads the clock: callers pass times.
"""

import builtins
import hashlib
import io
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

import joblib
from pydantic import ValidationError

from candlecast.shared.core.cards import CardDraft, ChampionPointer, ModelCard, check_matches
from candlecast.shared.core.constants import CARD_FILE, CHAMPION_FILE, MODEL_FILE, MODELS_DIR
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import ModelIntegrityError

_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_version(now_ms: int, suffix: str) -> str:
    """`20261123T021500123Z-ab12cd`: UTC time to the millisecond, then a random suffix."""
    stamp = datetime.fromtimestamp(now_ms / 1000, tz=UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}{now_ms % 1000:03d}Z-{suffix}"


def write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never a partial write."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with tmp.open("xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class FileModelStore:
    """ModelStore on a local (or shared) file system."""

    def __init__(self, root: Path) -> None:
        self.models_dir = root / MODELS_DIR
        self.models_dir.mkdir(parents=True, exist_ok=True)

    def new_version(self, now_ms: int) -> str:
        """A fresh version; its folder is created here so concurrent trainers never collide."""
        while True:
            version = format_version(now_ms, secrets.token_hex(3))
            try:
                (self.models_dir / version).mkdir()
            except FileExistsError:
                continue
            return version

    def save(self, version: str, model: UpModel, draft: CardDraft) -> ModelCard:
        """Write the artifact and its card; a saved version is never overwritten."""
        check_matches(model, draft)
        folder = self._folder(version)
        folder.mkdir(exist_ok=True)
        if (folder / CARD_FILE).exists():
            raise FileExistsError(f"model {version} is already saved")
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        data = buffer.getvalue()
        fields = {**draft.model_dump(), "version": version, "sha256": sha256_hex(data)}
        card = ModelCard.model_validate(fields)
        write_atomic(folder / MODEL_FILE, data)
        write_atomic(folder / CARD_FILE, card.model_dump_json(indent=2).encode())
        return card

    def champion(self) -> str | None:
        pointer = self._pointer()
        return None if pointer is None else pointer.version

    def promote(self, version: str) -> None:
        """Point CHAMPION at a saved, intact version (also the way to roll back)."""
        card = self.card(version)
        self._verified_bytes(version, card.sha256)
        pointer = ChampionPointer(version=version, sha256=card.sha256)
        write_atomic(self.models_dir / CHAMPION_FILE, pointer.model_dump_json().encode())

    def load(self, version: str) -> tuple[UpModel, ModelCard]:
        """The model and its card, after checking the artifact against both checksums."""
        card = self.card(version)
        data = self._verified_bytes(version, card.sha256)
        pointer = self._pointer()
        if pointer is not None and pointer.version == version and pointer.sha256 != card.sha256:
            raise ModelIntegrityError(f"model {version}: champion pointer checksum differs")
        model = joblib.load(io.BytesIO(data))
        if not isinstance(model, UpModel):
            raise ModelIntegrityError(f"model {version}: artifact is not an UpModel")
        try:
            check_matches(model, card)
        except ValueError as exc:
            raise ModelIntegrityError(f"model {version}: {exc}") from exc
        return model, card

    def card(self, version: str) -> ModelCard:
        path = self._folder(version) / CARD_FILE
        try:
            return ModelCard.model_validate_json(path.read_bytes())
        except FileNotFoundError as exc:
            raise KeyError(f"no saved model {version!r}") from exc
        except ValidationError as exc:
            raise ModelIntegrityError(f"model {version}: unreadable card") from exc

    def list(self) -> builtins.list[ModelCard]:
        """Saved models, oldest first (versions sort by time)."""
        names = sorted(p.name for p in self.models_dir.iterdir() if _VERSION_RE.match(p.name))
        return [self.card(name) for name in names if (self.models_dir / name / CARD_FILE).is_file()]

    def _folder(self, version: str) -> Path:
        """The version's folder; refuses names or symlinks that lead outside the models folder."""
        if not _VERSION_RE.match(version) or version in {".", ".."}:
            raise ModelIntegrityError(f"refused model version {version!r}: not a plain name")
        folder = self.models_dir / version
        if folder.exists() and folder.resolve().parent != self.models_dir.resolve():
            raise ModelIntegrityError(f"refused model version {version!r}: outside models/")
        return folder

    def _verified_bytes(self, version: str, sha256: str) -> bytes:
        path = self._folder(version) / MODEL_FILE
        if path.resolve().parent != (self.models_dir / version).resolve():
            raise ModelIntegrityError(f"model {version}: artifact is outside its folder")
        data = path.read_bytes()
        if sha256_hex(data) != sha256:
            raise ModelIntegrityError(f"model {version}: artifact checksum does not match its card")
        return data

    def _pointer(self) -> ChampionPointer | None:
        path = self.models_dir / CHAMPION_FILE
        try:
            return ChampionPointer.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
