"""The file registry against planted files: symlinked cards, damaged pointers, misnamed cards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.model_files import inside
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import ModelIntegrityError
from tests.support.models import FS, card_draft, tiny_booster

T0 = 1_795_400_100_000


def saved(store: FileModelStore, now: int = T0, seed: int = 0) -> ModelCard:
    model = UpModel(tiny_booster(("f1", "f2"), seed), ("f1", "f2"), FS, 1, "5m")
    return store.save(store.new_version(now), model, card_draft(model, now))


def test_inside_refuses_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    folder.mkdir()
    (tmp_path / "secret").write_text("x")
    (folder / "card.json").symlink_to(tmp_path / "secret")
    (folder / "here.json").symlink_to(folder / "card.json")
    with pytest.raises(ModelIntegrityError, match=r"card\.json is outside its folder"):
        inside(folder, "card.json")
    with pytest.raises(ModelIntegrityError, match=r"here\.json is outside its folder"):
        inside(folder, "here.json")  # resolved to the end, not one hop
    assert inside(folder, "absent.json") == folder / "absent.json"


def test_a_card_symlinked_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    store = FileModelStore(tmp_path)
    card = saved(store)
    path = store.folder(card.version) / "card.json"
    shutil.move(path, tmp_path / "card.json")
    path.symlink_to(tmp_path / "card.json")
    for action in (store.load, store.promote, store.card_document):
        with pytest.raises(ModelIntegrityError, match=r"card\.json is outside its folder"):
            action(card.version)


def test_a_card_copied_under_another_version_is_refused(tmp_path: Path) -> None:
    store = FileModelStore(tmp_path)
    card = saved(store)
    copy = "20990101T000000000Z-ffffff"
    shutil.copytree(store.folder(card.version), store.models_dir / copy)
    with pytest.raises(ModelIntegrityError, match=f"its card is for version '{card.version}'"):
        store.load(copy)


def test_an_unreadable_pointer_is_an_integrity_error_that_a_promotion_replaces(tmp_path: Path) -> None:
    store = FileModelStore(tmp_path)
    first, second = saved(store), saved(store, T0 + 1_000, seed=1)
    store.promote(first.version)
    (store.models_dir / "CHAMPION").write_bytes(b"\x80\x04junk")
    with pytest.raises(ModelIntegrityError, match="unreadable champion pointer: Invalid JSON"):
        store.champion()
    with pytest.raises(ModelIntegrityError, match="unreadable champion pointer"):
        store.load(first.version)
    store.promote(second.version)
    assert store.champion() == second.version
    assert store.history()[-1].previous is None, "the damaged pointer named no champion"
    pointer = json.loads((store.models_dir / "CHAMPION").read_bytes())
    assert pointer == {"version": second.version, "sha256": second.sha256}
