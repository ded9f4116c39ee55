import hashlib
import json
import threading
from dataclasses import replace

import numpy as np
import pytest

from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.library import Predictor
from candlecast.shared.core.calibration import Calibrator
from candlecast.shared.core.cards import CardDraft, ModelCard
from candlecast.shared.core.messages import FeatureSetId
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import ModelIntegrityError
from candlecast.shared.core.promotions import NoEarlierChampionError
from tests.support.models import card_draft, tiny_booster

NAMES = ("ret_1", "ret_4", "vol_8")
FSET = FeatureSetId(name="seed", version=1, hash="0123456789abcdef")
T0 = 1_795_400_100_000  # 2026-11-23


def tiny_model(seed: int = 0) -> UpModel:
    return UpModel(tiny_booster(NAMES, seed), NAMES, FSET, horizon=1, timeframe="5m")


def draft(created_at: int = T0) -> CardDraft:
    return card_draft(tiny_model(), created_at, symbols=("A", "B"))


@pytest.fixture
def store(tmp_path):
    return FileModelStore(tmp_path)


def saved(store: FileModelStore, now_ms: int = T0, seed: int = 0) -> ModelCard:
    version = store.new_version(now_ms)
    return store.save(version, tiny_model(seed), draft(now_ms))


def test_save_load_round_trip_predicts_the_same(store, tmp_path):
    model = tiny_model()
    card = store.save(store.new_version(T0), model, draft())
    loaded, loaded_card = store.load(card.version)
    assert loaded_card == card
    assert len(card.sha256) == 64
    X = np.random.default_rng(1).normal(size=(50, len(NAMES)))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    names = sorted(p.name for p in (tmp_path / "models" / card.version).iterdir())
    assert names == ["booster.txt", "card.json", "model.json"], "no pickle anywhere"
    assert json.loads((tmp_path / "models" / card.version / "card.json").read_text())["sha256"]


def test_predict_proba_checks_width_and_stays_in_unit_interval():
    model = tiny_model()
    p = model.predict_proba(np.random.default_rng(2).normal(size=(20, len(NAMES))))
    assert p.shape == (20,)
    assert ((p >= 0) & (p <= 1)).all()
    with pytest.raises(ValueError, match="shape"):
        model.predict_proba(np.zeros((3, 2)))


def test_card_must_match_model(store):
    good = draft()
    bad = good.model_copy(update={"train": good.train.model_copy(update={"horizon": 3})})
    with pytest.raises(ValueError, match="does not match"):
        store.save(store.new_version(T0), tiny_model(), bad)


def test_a_card_edited_after_save_no_longer_loads(store, tmp_path):
    card = saved(store)
    path = tmp_path / "models" / card.version / "card.json"
    document = json.loads(path.read_text())
    document["train"]["horizon"] = 3  # the model files (and their checksum) are untouched
    path.write_text(json.dumps(document))
    with pytest.raises(ModelIntegrityError, match=f"model {card.version}: card does not match"):
        store.load(card.version)
    with pytest.raises(ModelIntegrityError, match=f"model {card.version}: card does not match"):
        Predictor.from_folder(path.parent).reload()


def test_saved_version_is_never_overwritten(store):
    card = saved(store)
    with pytest.raises(FileExistsError):
        store.save(card.version, tiny_model(1), draft())


def test_tampered_artifact_is_refused(store, tmp_path):
    card = saved(store)
    path = tmp_path / "models" / card.version / "model.json"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="checksum"):
        store.load(card.version)
    with pytest.raises(ModelIntegrityError, match="checksum"):
        store.promote(card.version)


def test_champion_pointer_checksum_is_checked(store, tmp_path):
    card = saved(store)
    store.promote(card.version)
    pointer = tmp_path / "models" / "CHAMPION"
    pointer.write_text(json.dumps({"version": card.version, "sha256": "0" * 64}))
    with pytest.raises(ModelIntegrityError, match="champion"):
        store.load(card.version)


def test_promote_swaps_the_pointer_atomically(store, tmp_path):
    first, second = saved(store, T0), saved(store, T0 + 1_000, seed=1)
    assert store.champion() is None
    store.promote(first.version)
    assert store.champion() == first.version
    store.promote(second.version)
    pointer = json.loads((tmp_path / "models" / "CHAMPION").read_text())
    assert pointer == {"version": second.version, "sha256": second.sha256}
    assert [p.name for p in (tmp_path / "models").iterdir() if p.name.endswith(".tmp")] == []
    store.promote(first.version)  # rollback is a promote of an older version
    assert store.load(first.version)[1] == first


def test_readers_never_see_a_partial_pointer(store):
    cards = [saved(store, T0 + i * 1_000, seed=i) for i in range(2)]
    store.promote(cards[0].version)
    seen, stop = set(), threading.Event()

    def read():
        while not stop.is_set():
            seen.add(store.champion())  # raises on a torn or missing file

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(200):
        store.promote(cards[i % 2].version)
    stop.set()
    reader.join()
    assert seen <= {c.version for c in cards}


@pytest.mark.parametrize("version", ["../outside", "..", "a/../../b", "/etc/passwd", ".hidden", ""])
def test_versions_escaping_the_models_folder_are_refused(store, version):
    with pytest.raises(ModelIntegrityError, match="refused"):
        store.load(version)


def test_symlinked_version_outside_models_is_refused(store, tmp_path):
    card = saved(store)
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "models" / card.version).rename(elsewhere)
    (tmp_path / "models" / card.version).symlink_to(elsewhere)
    with pytest.raises(ModelIntegrityError, match="outside"):
        store.load(card.version)


def test_list_is_sorted_by_time(store):
    times = [T0 + 5_000, T0, T0 + 60_000, T0 + 1]
    for i, t in enumerate(times):
        saved(store, t, seed=i)
    store.new_version(T0 + 90_000)  # reserved but never saved: not listed
    assert [c.created_at for c in store.list()] == sorted(times)


def test_versions_are_unique_and_sort_by_time(store):
    same_ms = {store.new_version(T0) for _ in range(50)}
    assert len(same_ms) == 50
    ordered = [store.new_version(t) for t in (T0, T0 + 1, T0 + 999, T0 + 1_000, T0 + 86_400_000)]
    assert ordered == sorted(ordered)
    assert ordered[0].startswith("20261123T")


def test_plots_written_in_the_version_folder_are_listed(store, tmp_path):
    version = store.new_version(T0)
    assert store.folder(version) == tmp_path / "models" / version
    (store.folder(version) / "reliability.png").write_bytes(b"\x89PNG")
    store.save(version, tiny_model(), draft())
    assert store.plots(version) == [tmp_path / "models" / version / "reliability.png"]
    with pytest.raises(ModelIntegrityError, match="refused"):
        store.folder("../x")


def test_unknown_version_is_a_key_error(store):
    with pytest.raises(KeyError):
        store.card("20990101T000000000Z-abcdef")


def test_every_change_of_champion_is_in_the_history(tmp_path):
    ticks = iter(range(100, 200))
    store = FileModelStore(tmp_path, clock=lambda: next(ticks))
    a, b = saved(store, T0), saved(store, T0 + 1_000, seed=1)
    store.promote(a.version)
    store.promote(b.version, action="promote", request_id="op1")
    store.promote(b.version, action="promote", request_id="op1")  # redelivered: no second line
    assert store.revert("undo1") == a.version
    assert store.revert("undo1") == a.version, "a redelivered revert does not walk further back"
    assert store.champion() == a.version
    lines = [(h.version, h.action, h.request_id, h.previous, h.at) for h in store.history()]
    assert lines == [
        (a.version, "train", "", None, 100),
        (b.version, "promote", "op1", a.version, 101),
        (a.version, "revert", "undo1", b.version, 102),
    ]
    assert all(h.sha256 == {a.version: a.sha256, b.version: b.sha256}[h.version] for h in store.history())
    with pytest.raises(NoEarlierChampionError):
        store.revert("undo2")
    assert store.champion() == a.version


def test_a_torn_last_history_line_is_skipped(store, tmp_path):
    card = saved(store)
    store.promote(card.version)
    with (tmp_path / "models" / "HISTORY.jsonl").open("ab") as f:
        f.write(b'{"version": "x", "sha')  # a crash mid-append
    assert [h.version for h in store.history()] == [card.version]


def test_revert_refuses_a_tampered_previous_champion(store, tmp_path):
    a, b = saved(store, T0), saved(store, T0 + 1_000, seed=1)
    store.promote(a.version)
    store.promote(b.version)
    (tmp_path / "models" / a.version / "booster.txt").write_bytes(b"tampered")
    with pytest.raises(ModelIntegrityError, match="checksum"):
        store.revert()
    assert store.champion() == b.version


def test_card_checksum_is_model_json_which_pins_the_booster(store, tmp_path):
    card = saved(store)
    folder = tmp_path / "models" / card.version
    manifest = json.loads((folder / "model.json").read_text())
    assert card.sha256 == hashlib.sha256((folder / "model.json").read_bytes()).hexdigest()
    assert manifest["booster"] == {
        "file": "booster.txt",
        "sha256": hashlib.sha256((folder / "booster.txt").read_bytes()).hexdigest(),
    }
    assert (manifest["format"], manifest["format_version"], manifest["forecaster"]) == (
        "candlecast-model",
        1,
        None,
    )
    assert manifest["feature_names"] == list(NAMES)


def test_tampered_booster_is_refused_on_load_and_promote(store, tmp_path):
    card = saved(store)
    path = tmp_path / "models" / card.version / "booster.txt"
    path.write_text(path.read_text().replace("learning_rate", "learning_ratf", 1))
    with pytest.raises(ModelIntegrityError, match=r"booster\.txt checksum"):
        store.load(card.version)
    with pytest.raises(ModelIntegrityError, match=r"booster\.txt checksum"):
        store.promote(card.version)
    assert store.champion() is None


def test_calibrator_is_saved_and_applied_after_load(store):
    calibrator = Calibrator(
        method="isotonic", x=(0.0, 0.5, 1.0), y=(0.3, 0.5, 0.6), shrink=0.5, base_rate=0.5
    )
    model = replace(tiny_model(), calibrator=calibrator)
    card = store.save(store.new_version(T0), model, card_draft(model, T0))
    loaded, _ = store.load(card.version)
    assert loaded.calibrator == calibrator
    X = np.random.default_rng(3).normal(size=(40, len(NAMES)))
    raw, published = loaded.raw_proba(X), loaded.predict_proba(X)
    np.testing.assert_allclose(published, 0.5 * np.interp(raw, (0, 0.5, 1), (0.3, 0.5, 0.6)) + 0.25)
    assert published.min() >= 0.4 - 1e-12
    assert published.max() <= 0.55 + 1e-12


def write_v1(tmp_path, version: str) -> None:
    folder = tmp_path / "models" / version
    folder.mkdir(parents=True)
    (folder / "model.joblib").write_bytes(b"\x80\x04pickle")
    v1 = {"schema_version": 1, "version": version, "sha256": "0" * 64, "feature_set": FSET.model_dump()}
    (folder / "card.json").write_text(json.dumps(v1))


def test_v1_cards_and_pickled_artifacts_are_refused_clearly(store, tmp_path):
    version = "20250101T000000000Z-aaaaaa"
    write_v1(tmp_path, version)
    for action in (store.load, store.promote, store.card):
        with pytest.raises(ModelIntegrityError, match="card schema 1, this registry reads 2 only"):
            action(version)
    assert store.card_document(version)["schema_version"] == 1, "still readable for `models show`"
    assert store.versions() == [version]


def test_a_v2_card_beside_a_pickle_is_refused_without_unpickling(store, tmp_path):
    card = saved(store)
    folder = tmp_path / "models" / card.version
    (folder / "model.json").unlink()
    (folder / "model.joblib").write_bytes(b"\x80\x04pickle")
    with pytest.raises(ModelIntegrityError, match=r"pickled model\.joblib .* never loaded"):
        store.load(card.version)


def test_unreadable_booster_text_is_an_integrity_error(tmp_path):
    from candlecast.shared.adapters.model_files import read_model, write_model

    folder = tmp_path / "v"
    folder.mkdir()
    write_model(folder, tiny_model())
    manifest = json.loads((folder / "model.json").read_text())
    (folder / "booster.txt").write_bytes(b"not a model")
    manifest["booster"]["sha256"] = hashlib.sha256(b"not a model").hexdigest()
    data = json.dumps(manifest).encode()
    (folder / "model.json").write_bytes(data)
    with pytest.raises(ModelIntegrityError, match=r"unusable booster\.txt"):
        read_model(folder, hashlib.sha256(data).hexdigest())
