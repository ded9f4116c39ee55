"""Untrusted models against a real Redis: each is refused with a `ModelRefused` that says why,
and the champion keeps serving (a row after each refusal is predicted by the old version).

Cases: a corrupted artifact, a checksum that differs from the pointer or the announcement,
a feature-set mismatch, a version path leading outside `models/`, and a pickle crafted to run
code (which must never run). Also a start-up whose champion is one of these.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import pytest
from redis.asyncio import Redis

from candlecast.predictor.app import Predictor
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.redis_streams import ensure_group
from candlecast.shared.core.constants import DATA_FIELD, GROUP_PREDICTOR
from candlecast.shared.core.entries import entry_from_fields
from candlecast.shared.core.messages import FeaturesComputed, FeatureSetId, ModelPromoted
from candlecast.shared.core.model import UpModel
from candlecast.shared.settings import Settings
from tests.support.models import FS, METRICS, OTHER, card_draft, tiny_booster

pytestmark = pytest.mark.redis

NAMES = ("f1", "f2")
Harness = tuple[Redis, FileModelStore, Predictor, str]


def model(fs: FeatureSetId, seed: int) -> UpModel:
    return UpModel(tiny_booster(NAMES, seed), NAMES, fs, 1, "5m")


def register(store: FileModelStore, m: UpModel, now: int) -> tuple[str, str]:
    version = store.new_version(now)
    return version, store.save(version, m, card_draft(m, now)).sha256


def promoted(version: str, sha256: str, fs: FeatureSetId = FS) -> ModelPromoted:
    return ModelPromoted(
        request_id="r", version=version, sha256=sha256, feature_set=fs, horizon=1, metrics=METRICS
    )


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def events(redis: Redis, key: str) -> list[dict]:
    return [json.loads(f[b"__data__"]) for _, f in await redis.xrange(key)]


async def champion_v1(redis_url: str, home: Path) -> Harness:
    """A predictor serving champion v1 (seed 1), loaded at start-up."""
    redis = Redis.from_url(redis_url)
    store = FileModelStore(home)
    v1, _ = register(store, model(FS, 1), 1_000)
    store.promote(v1)
    p = Predictor(redis, Settings(redis_url=redis_url, home=home, consumer="p1"), store)
    await p.load_champion()
    assert p.served is not None
    return redis, store, p, v1


async def feed(redis: Redis, p: Predictor, ts: int) -> None:
    """One feature row, delivered to `p` through its group as the service would read it."""
    row = FeaturesComputed(symbol="AAA", timeframe="5m", ts=ts, feature_set=FS, values=[0.2, 0.1], close=1.0)
    await ensure_group(redis, p.keys.features, GROUP_PREDICTOR)
    await redis.xadd(p.keys.features, {DATA_FIELD: row.model_dump_json()})
    reply = await redis.xreadgroup(GROUP_PREDICTOR, "p1", {p.keys.features: ">"}, count=10)
    await p.handle([entry_from_fields(i, f) for _, rows in reply for i, f in rows])


async def assert_refused(h: Harness, version: str, *reason: str) -> None:
    """The last event refuses `version` naming `reason`; a row is still predicted by the champion."""
    redis, _, p, champion = h
    last = (await events(redis, p.keys.events))[-1]
    assert (last["event"], last["version"], last["consumer"]) == ("model_refused", version, "p1")
    for part in reason:
        assert part in last["reason"], last["reason"]
    assert p.served is not None
    assert p.served.version == champion
    before = await redis.xlen(p.keys.predictions)
    await feed(redis, p, before * 300_000)
    preds = await events(redis, p.keys.predictions)
    assert len(preds) == before + 1
    assert preds[-1]["model_version"] == champion, "the champion keeps serving"


def rewrite_card_sha(store: FileModelStore, version: str, sha256: str) -> None:
    """What an attacker with write access does: make the card pin the files they planted."""
    path = store.folder(version) / "card.json"
    card = json.loads(path.read_bytes())
    card["sha256"] = sha256
    path.write_text(json.dumps(card))


@pytest.fixture
async def h(redis_url, tmp_path):
    harness = await champion_v1(redis_url, tmp_path / "home")
    yield harness
    await harness[0].aclose()


# --- corrupted artifacts ------------------------------------------------------------------


async def test_flipped_booster_bytes_are_refused(h) -> None:
    _, store, p, _ = h
    v2, sha2 = register(store, model(FS, 2), 2_000)
    path = store.folder(v2) / "booster.txt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    await p.on_promoted(promoted(v2, sha2))
    await assert_refused(h, v2, "booster.txt checksum does not match model.json")


async def test_model_json_that_is_not_json_is_refused(h) -> None:
    _, store, p, _ = h
    v2, sha2 = register(store, model(FS, 2), 2_000)
    (store.folder(v2) / "model.json").write_bytes(b"{not json")
    await p.on_promoted(promoted(v2, sha2))
    await assert_refused(h, v2, "model.json checksum does not match its card")


async def test_model_json_that_is_not_json_is_refused_even_when_the_card_pins_it(h) -> None:
    _, store, p, _ = h
    v2, _ = register(store, model(FS, 2), 2_000)
    (store.folder(v2) / "model.json").write_bytes(b"{not json")
    rewrite_card_sha(store, v2, sha(b"{not json"))
    await p.on_promoted(promoted(v2, sha(b"{not json")))
    await assert_refused(h, v2, "unreadable model.json")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("booster.txt", "booster.txt is missing"),
        ("model.json", "model.json is missing"),
        ("card.json", "no saved model"),
    ],
)
async def test_a_missing_file_is_refused(h, name: str, reason: str) -> None:
    _, store, p, _ = h
    v2, sha2 = register(store, model(FS, 2), 2_000)
    (store.folder(v2) / name).unlink()
    await p.on_promoted(promoted(v2, sha2))
    await assert_refused(h, v2, reason)


async def test_booster_text_lightgbm_cannot_read_is_refused(h) -> None:
    _, store, p, _ = h
    v2, _ = register(store, model(FS, 2), 2_000)
    folder = store.folder(v2)
    (folder / "booster.txt").write_bytes(b"tree\nnot a model\n")
    manifest = json.loads((folder / "model.json").read_bytes())
    manifest["booster"]["sha256"] = sha(b"tree\nnot a model\n")
    data = json.dumps(manifest).encode()
    (folder / "model.json").write_bytes(data)
    rewrite_card_sha(store, v2, sha(data))
    await p.on_promoted(promoted(v2, sha(data)))
    await assert_refused(h, v2, "unusable booster.txt")


# --- checksums ----------------------------------------------------------------------------


async def test_a_pointer_checksum_other_than_the_cards_is_refused(h) -> None:
    _, store, p, _ = h
    v2, sha2 = register(store, model(FS, 2), 2_000)
    store.promote(v2)
    (store.models_dir / "CHAMPION").write_text(json.dumps({"version": v2, "sha256": "0" * 64}))
    await p.on_promoted(promoted(v2, sha2))
    await assert_refused(h, v2, "champion pointer checksum differs")


async def test_an_announced_checksum_other_than_the_artifacts_is_refused(h) -> None:
    _, store, p, _ = h
    v2, sha2 = register(store, model(FS, 2), 2_000)
    await p.on_promoted(promoted(v2, "f" * 64))
    await assert_refused(h, v2, f"artifact sha256 {sha2} != announced {'f' * 64}")


# --- feature sets -------------------------------------------------------------------------


async def test_a_model_on_another_feature_set_than_the_rows_is_refused(h) -> None:
    _, store, p, _ = h
    p.rows_hash = FS.hash  # as after a batch of FS rows
    v2, sha2 = register(store, model(OTHER, 2), 2_000)
    await p.on_promoted(promoted(v2, sha2, OTHER))
    await assert_refused(h, v2, f"({OTHER.hash}) differs from incoming rows' ({FS.hash})")


async def test_an_announced_feature_set_other_than_the_models_is_refused(h) -> None:
    _, store, p, _ = h
    v2, sha2 = register(store, model(FS, 2), 2_000)
    await p.on_promoted(promoted(v2, sha2, OTHER))
    await assert_refused(h, v2, "announced feature set", OTHER.hash, FS.hash)


async def test_a_model_json_whose_features_differ_from_its_card_is_refused(h) -> None:
    _, store, p, _ = h
    v2, _ = register(store, model(FS, 2), 2_000)
    path = store.folder(v2) / "model.json"
    manifest = json.loads(path.read_bytes())
    manifest["feature_set"] = OTHER.model_dump()
    data = json.dumps(manifest).encode()
    path.write_bytes(data)
    rewrite_card_sha(store, v2, sha(data))
    await p.on_promoted(promoted(v2, sha(data)))
    await assert_refused(h, v2, "card does not match the model")


# --- paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["../../etc", "/etc", "..", "a/../../b"])
async def test_a_version_path_outside_models_is_refused(h, version: str) -> None:
    _, _, p, _ = h
    await p.on_promoted(promoted(version, "0" * 64))
    await assert_refused(h, version, "not a plain name")


async def test_an_absolute_path_to_a_good_model_elsewhere_is_refused(h, tmp_path) -> None:
    _, _, p, _ = h
    elsewhere = FileModelStore(tmp_path / "elsewhere")
    v9, sha9 = register(elsewhere, model(FS, 9), 9_000)
    absolute = str(elsewhere.folder(v9))
    await p.on_promoted(promoted(absolute, sha9))
    await assert_refused(h, absolute, "not a plain name")


async def test_a_symlinked_version_outside_models_is_refused(h, tmp_path) -> None:
    _, store, p, _ = h
    elsewhere = FileModelStore(tmp_path / "elsewhere")
    v9, sha9 = register(elsewhere, model(FS, 9), 9_000)  # a sound model: only its place is wrong
    (store.models_dir / v9).symlink_to(elsewhere.folder(v9))
    await p.on_promoted(promoted(v9, sha9))
    await assert_refused(h, v9, "outside models/")


@pytest.mark.parametrize("name", ["card.json", "model.json", "booster.txt"])
async def test_a_symlinked_file_outside_the_version_folder_is_refused(h, tmp_path, name: str) -> None:
    _, store, p, _ = h
    v2, sha2 = register(store, model(FS, 2), 2_000)
    outside = tmp_path / name
    shutil.move(store.folder(v2) / name, outside)  # the same bytes, only elsewhere
    (store.folder(v2) / name).symlink_to(outside)
    await p.on_promoted(promoted(v2, sha2))
    await assert_refused(h, v2, f"{name} is outside its folder")


# --- pickles ------------------------------------------------------------------------------


class Armed:
    """Unpickling this creates `marker`: what a hostile model.joblib would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.marker), "w")


def armed(marker: Path) -> bytes:
    return pickle.dumps(Armed(marker), protocol=4)


def test_the_crafted_pickle_does_run_code_when_unpickled(tmp_path) -> None:
    proof = tmp_path / "proof"
    pickle.loads(armed(proof)).close()  # the point: this payload is live
    assert proof.exists(), "the payload below is a real threat, not a dud"


async def test_a_pickled_model_joblib_beside_a_v2_card_is_never_unpickled(h, tmp_path) -> None:
    _, store, p, _ = h
    marker, payload = tmp_path / "pwned", armed(tmp_path / "pwned")
    v2, _ = register(store, model(FS, 2), 2_000)
    folder = store.folder(v2)
    for name in ("model.json", "booster.txt"):
        (folder / name).unlink()
    (folder / "model.joblib").write_bytes(payload)
    rewrite_card_sha(store, v2, sha(payload))  # the registry pins the pickle's own bytes
    await p.on_promoted(promoted(v2, sha(payload)))
    await assert_refused(h, v2, "pickled model.joblib", "never loaded")
    assert not marker.exists()


async def test_a_pickle_as_model_json_is_never_unpickled(h, tmp_path) -> None:
    _, store, p, _ = h
    marker, payload = tmp_path / "pwned", armed(tmp_path / "pwned")
    v2, _ = register(store, model(FS, 2), 2_000)
    (store.folder(v2) / "model.json").write_bytes(payload)
    rewrite_card_sha(store, v2, sha(payload))
    await p.on_promoted(promoted(v2, sha(payload)))
    await assert_refused(h, v2, "unreadable model.json")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["booster.txt", "model.pkl"])
async def test_a_pickle_pinned_as_the_booster_is_never_unpickled(h, tmp_path, name: str) -> None:
    _, store, p, _ = h
    marker, payload = tmp_path / "pwned", armed(tmp_path / "pwned")
    v2, _ = register(store, model(FS, 2), 2_000)
    folder = store.folder(v2)
    (folder / name).write_bytes(payload)
    manifest = json.loads((folder / "model.json").read_bytes())
    manifest["booster"] = {"file": name, "sha256": sha(payload)}
    data = json.dumps(manifest).encode()
    (folder / "model.json").write_bytes(data)
    rewrite_card_sha(store, v2, sha(data))
    await p.on_promoted(promoted(v2, sha(data)))
    reason = "unusable booster.txt" if name == "booster.txt" else "booster: Value error, must be booster.txt"
    await assert_refused(h, v2, reason)
    assert not marker.exists()


async def test_a_v1_card_beside_a_pickle_is_refused_and_never_unpickled(h, tmp_path) -> None:
    _, store, p, _ = h
    marker, payload = tmp_path / "pwned", armed(tmp_path / "pwned")
    version = "20200101T000000000Z-abcdef"
    folder = store.models_dir / version
    folder.mkdir()
    (folder / "model.pkl").write_bytes(payload)
    card = {"schema_version": 1, "version": version, "sha256": sha(payload), "artifact": "model.pkl"}
    (folder / "card.json").write_text(json.dumps(card))
    await p.on_promoted(promoted(version, sha(payload)))
    await assert_refused(h, version, "card schema 1")
    assert not marker.exists()


# --- start-up -----------------------------------------------------------------------------


async def start(redis_url: str, store: FileModelStore) -> tuple[Redis, Predictor]:
    redis = Redis.from_url(redis_url)
    p = Predictor(redis, Settings(redis_url=redis_url, home=store.models_dir.parent, consumer="p1"), store)
    await p.load_champion()  # must not raise
    return redis, p


async def recovers_on_a_good_promotion(redis: Redis, store: FileModelStore, p: Predictor) -> None:
    assert p.served is None, "an untrusted champion is never served"
    assert not p.loaded.is_set(), "so the replica keeps reading no rows"
    v3, sha3 = register(store, model(FS, 3), 3_000)
    store.promote(v3)  # as the trainer does: it replaces even an unreadable pointer
    await p.on_promoted(promoted(v3, sha3))
    assert p.served is not None
    assert p.served.version == v3
    await assert_refused_then_loaded(redis, p, v3)


async def assert_refused_then_loaded(redis: Redis, p: Predictor, version: str) -> None:
    kinds = [(e["event"], e["version"]) for e in await events(redis, p.keys.events)]
    assert kinds[-1] == ("model_loaded", version)
    assert kinds[-2][0] == "model_refused"
    await feed(redis, p, 0)
    assert [x["model_version"] for x in await events(redis, p.keys.predictions)] == [version]


async def test_an_untrusted_champion_at_start_up_is_refused_then_a_good_one_served(
    redis_url, tmp_path
) -> None:
    store = FileModelStore(tmp_path)
    v1, _ = register(store, model(FS, 1), 1_000)
    store.promote(v1)
    booster = store.folder(v1) / "booster.txt"
    booster.write_bytes(booster.read_bytes()[:-10])
    redis, p = await start(redis_url, store)
    (refused,) = await events(redis, p.keys.events)
    assert (refused["event"], refused["version"]) == ("model_refused", v1)
    assert "booster.txt checksum does not match model.json" in refused["reason"]
    await recovers_on_a_good_promotion(redis, store, p)
    await redis.aclose()


@pytest.mark.parametrize(
    ("pointer", "reason"),
    [
        (b'{"version": "../../etc", "sha256": "00"}', "not a plain name"),
        (b"\x80\x04garbage", "unreadable champion pointer"),
    ],
)
async def test_an_untrusted_pointer_at_start_up_is_refused(
    redis_url, tmp_path, pointer: bytes, reason: str
) -> None:
    store = FileModelStore(tmp_path)
    (store.models_dir / "CHAMPION").write_bytes(pointer)
    redis, p = await start(redis_url, store)
    (refused,) = await events(redis, p.keys.events)
    assert refused["event"] == "model_refused"
    assert reason in refused["reason"], refused["reason"]
    await recovers_on_a_good_promotion(redis, store, p)
    await redis.aclose()


async def test_a_huge_hostile_version_is_not_echoed_whole(h) -> None:
    redis, _, p, _ = h
    version = "../" * 100_000
    await p.on_promoted(promoted(version, "0" * 64))
    last = (await events(redis, p.keys.events))[-1]
    assert last["event"] == "model_refused"
    assert last["version"] == version[:200] + "...[300000 chars]"
    assert len(last["reason"]) < 1_100
    assert last["reason"].startswith("load failed: refused model version '../../")
    assert last["reason"].endswith(" chars]"), "cut, and marked as cut"
