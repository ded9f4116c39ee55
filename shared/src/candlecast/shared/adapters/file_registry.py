"""The file model registry (a `Registry`): versioned artifacts, cards, an atomic champion pointer.

Layout under `root`: `models/{version}/{booster.txt, model.json, card.json, *.png}`,
`models/CHAMPION` (JSON: version + sha256 of model.json, replaced atomically) and `models/HISTORY.jsonl`
(one `Promotion` per line, append-only). A change of champion holds `models/.lock`
while it writes the pointer, then its history line.
"""

import builtins
import json
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.files import append_line, locked, write_atomic
from candlecast.shared.adapters.model_files import inside, read_checked, verify, write_model
from candlecast.shared.core.artifact import check_matches, first_error
from candlecast.shared.core.cards import CARD_SCHEMA_VERSION, CardDraft, ChampionPointer, ModelCard
from candlecast.shared.core.constants import CARD_FILE, CHAMPION_FILE, HISTORY_FILE, MODELS_DIR, REGISTRY_LOCK
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import Clock, ModelIntegrityError
from candlecast.shared.core.promotions import Promotion, PromotionAction, done_by, revert_target

_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def format_version(now_ms: int, suffix: str) -> str:
    """`20261123T021500123Z-ab12cd`: UTC time to the millisecond, then a random suffix."""
    stamp = datetime.fromtimestamp(now_ms / 1000, tz=UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}{now_ms % 1000:03d}Z-{suffix}"


class FileModelStore:
    """ModelStore on a local (or shared) file system."""

    def __init__(self, root: Path, clock: Clock = now_ms) -> None:
        self.models_dir = root / MODELS_DIR
        self.models_dir.mkdir(parents=True, exist_ok=True)
        self.clock = clock  # stamps history lines only; versions get their time from the caller

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
        sha256 = write_model(folder, model)
        card = ModelCard.model_validate({**draft.model_dump(), "version": version, "sha256": sha256})
        write_atomic(folder / CARD_FILE, card.model_dump_json(indent=2).encode())  # last: now it is saved
        return card

    def champion(self) -> str | None:
        pointer = self._pointer()
        return None if pointer is None else pointer.version

    def promote(self, version: str, action: PromotionAction = "train", request_id: str = "") -> None:
        """Point CHAMPION at a saved, intact version and record it in the history.

        `request_id` defaults to the card's (the retrain that made the model). A command
        redelivered after it took effect changes nothing.
        """
        card = self.card(version)
        verify(self._folder(version), card.sha256)
        with locked(self.models_dir / REGISTRY_LOCK):
            done = done_by(self.history(), request_id)
            if done is None or done.version != version or self._champion_if_readable() != version:
                self._set_champion(card, action, request_id or card.request_id)

    def revert(self, request_id: str = "") -> str:
        """Make the previous champion champion again; returns its version.

        Raises `NoEarlierChampionError` when there is none.
        """
        with locked(self.models_dir / REGISTRY_LOCK):
            history = self.history()
            done = done_by(history, request_id)
            if done is not None and done.action == "revert":
                return done.version
            card = self.card(revert_target(history, self.champion()))
            verify(self._folder(card.version), card.sha256)
            self._set_champion(card, "revert", request_id)
        return card.version

    def history(self) -> builtins.list[Promotion]:
        """Every change of champion, oldest first (a line torn by a crash at the end is skipped)."""
        try:
            data = (self.models_dir / HISTORY_FILE).read_bytes()
        except FileNotFoundError:
            return []
        lines = data.split(b"\n")
        complete = lines[:-1]  # the part after the last newline is empty, or torn
        try:
            return [Promotion.model_validate_json(line) for line in complete if line.strip()]
        except ValidationError as exc:
            raise ModelIntegrityError(f"unreadable promotion history: {exc.errors()[0]['msg']}") from exc

    def _set_champion(self, card: ModelCard, action: PromotionAction, request_id: str) -> None:
        """Pointer first, then its history line: the pointer is what predictors trust."""
        previous = self._champion_if_readable()
        pointer = ChampionPointer(version=card.version, sha256=card.sha256)
        write_atomic(self.models_dir / CHAMPION_FILE, pointer.model_dump_json().encode())
        line = Promotion(
            version=card.version,
            sha256=card.sha256,
            action=action,
            request_id=request_id,
            at=self.clock(),
            previous=previous,
        )
        append_line(self.models_dir / HISTORY_FILE, line.model_dump_json().encode())

    def load(self, version: str) -> tuple[UpModel, ModelCard]:
        """The model and its card, after checking its files against the card and the pointer."""
        card = self.card(version)
        pointer = self._pointer()
        if pointer is not None and pointer.version == version and pointer.sha256 != card.sha256:
            raise ModelIntegrityError(f"model {version}: champion pointer checksum differs")
        return read_checked(self._folder(version), card, version), card

    def card(self, version: str) -> ModelCard:
        """The v2 card; an older or damaged card raises `ModelIntegrityError` saying which."""
        document = self.card_document(version)
        schema = document.get("schema_version")
        if schema != CARD_SCHEMA_VERSION:
            raise ModelIntegrityError(
                f"model {version}: card schema {schema}, this registry reads {CARD_SCHEMA_VERSION} "
                "only: retrain to replace it (`models show` still displays it)"
            )
        try:
            card = ModelCard.model_validate(document)
        except ValidationError as exc:
            raise ModelIntegrityError(f"model {version}: unreadable card: {first_error(exc)}") from exc
        if card.version != version:
            raise ModelIntegrityError(f"model {version}: its card is for version {card.version!r}")
        return card

    def list(self) -> builtins.list[ModelCard]:
        """Saved models, oldest first (versions sort by time)."""
        return [self.card(name) for name in self.versions()]

    def versions(self) -> builtins.list[str]:
        """Saved versions, oldest first."""
        names = sorted(p.name for p in self.models_dir.iterdir() if _VERSION_RE.match(p.name))
        return [name for name in names if (self.models_dir / name / CARD_FILE).is_file()]

    def card_document(self, version: str) -> dict[str, object]:
        """The card as stored, unvalidated: readable whatever card schema wrote it."""
        try:
            document = json.loads(inside(self._folder(version), CARD_FILE).read_bytes())
        except FileNotFoundError as exc:
            raise KeyError(f"no saved model {version!r}") from exc
        except ValueError as exc:
            raise ModelIntegrityError(f"model {version}: unreadable card") from exc
        if not isinstance(document, dict):
            raise ModelIntegrityError(f"model {version}: card is not a JSON object")
        return document

    def plots(self, version: str) -> builtins.list[Path]:
        """The PNG plots saved beside a version's card."""
        return sorted(self._folder(version).glob("*.png"))

    def folder(self, version: str) -> Path:
        """A version's folder (from `new_version`): the trainer writes the card's plots here."""
        return self._folder(version)

    def _folder(self, version: str) -> Path:
        """The version's folder; refuses names or symlinks that lead outside the models folder."""
        if not _VERSION_RE.match(version) or version in {".", ".."}:
            raise ModelIntegrityError(f"refused model version {version!r}: not a plain name")
        folder = self.models_dir / version
        if folder.exists() and folder.resolve().parent != self.models_dir.resolve():
            raise ModelIntegrityError(f"refused model version {version!r}: outside models/")
        return folder

    def _champion_if_readable(self) -> str | None:
        """The champion, or None when the pointer is unreadable: a promotion replaces a damaged one."""
        try:
            return self.champion()
        except ModelIntegrityError:
            return None

    def _pointer(self) -> ChampionPointer | None:
        path = self.models_dir / CHAMPION_FILE
        try:
            return ChampionPointer.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return None
        except ValidationError as exc:
            raise ModelIntegrityError(f"unreadable champion pointer: {first_error(exc)}") from exc
