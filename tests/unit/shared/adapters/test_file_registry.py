import json
import threading

import lightgbm
import numpy as np
import pytest

from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.cards import CardDraft, ModelCard
from candlecast.shared.core.messages import FeatureSetId, ModelMetrics
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import ModelIntegrityError
from candlecast.shared.core.promotions import NoEarlierChampionError

NAMES = ("ret_1", "ret_4", "vol_8")
FSET = FeatureSetId(name="seed", version=1, hash="0123456789abcdef")
T0 = 1_795_400_100_000  # 2026-11-23


def tiny_model(seed: int = 0) -> UpModel:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, len(NAMES)))
    y = (X[:, 0] > 0).astype(np.float64)
    params = {"objective": "binary", "verbose": -1, "num_iterations": 5, "min_data_in_leaf": 5}
    booster = lightgbm.train(params, lightgbm.Dataset(X, label=y, feature_name=list(NAMES)))
    return UpModel(booster, NAMES, FSET, horizon=1, timeframe="5m")


def draft(created_at: int = T0) -> CardDraft:
    metrics = ModelMetrics(
        log_loss=0.69, brier=0.25, auc=0.5, ece=0.01, baseline_log_loss=0.69,
        baseline_brier=0.25, n_train=100, n_holdout=20,
    )  # fmt: skip
    return CardDraft(
        created_at=created_at, feature_set=FSET, horizon=1, timeframe="5m", symbols=("A", "B"),
        params={"num_leaves": 31, "objective": "binary"}, metrics=metrics, train_start_ts=0,
        train_end_ts=1, holdout_start_ts=2, n_features=len(NAMES),
    )  # fmt: skip


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
    assert (tmp_path / "models" / card.version / "model.joblib").is_file()
    assert json.loads((tmp_path / "models" / card.version / "card.json").read_text())["sha256"]


def test_predict_proba_checks_width_and_stays_in_unit_interval():
    model = tiny_model()
    p = model.predict_proba(np.random.default_rng(2).normal(size=(20, len(NAMES))))
    assert p.shape == (20,)
    assert ((p >= 0) & (p <= 1)).all()
    with pytest.raises(ValueError, match="shape"):
        model.predict_proba(np.zeros((3, 2)))


def test_card_must_match_model(store):
    bad = draft().model_copy(update={"horizon": 3})
    with pytest.raises(ValueError, match="does not match"):
        store.save(store.new_version(T0), tiny_model(), bad)


def test_saved_version_is_never_overwritten(store):
    card = saved(store)
    with pytest.raises(FileExistsError):
        store.save(card.version, tiny_model(1), draft())


def test_tampered_artifact_is_refused(store, tmp_path):
    card = saved(store)
    path = tmp_path / "models" / card.version / "model.joblib"
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
    (tmp_path / "models" / a.version / "model.joblib").write_bytes(b"tampered")
    with pytest.raises(ModelIntegrityError, match="checksum"):
        store.revert()
    assert store.champion() == b.version
