"""The library's Predictor: a real LightGBM model on real 5m features, in a real file registry.

Its numbers must be the predictor service's (`core.serving.predict_batch`), it must load once however
many threads ask first, and it must refuse tampered files.
"""

from __future__ import annotations

import threading
from pathlib import Path

import lightgbm
import numpy as np
import pytest

from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.library import MissingFeaturesError, Predictor
from candlecast.shared.core import serving
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.calibration import Calibrator
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.features import CORE, FeatureRows, compute
from candlecast.shared.core.forecast import GRID, Forecaster, coherent_table
from candlecast.shared.core.messages import FeaturesComputed
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import ModelIntegrityError
from tests.support.data import real_bars
from tests.support.models import card_draft
from tests.support.predictions import predict

T0 = 1_795_400_100_000
STEPS = 12
CALIBRATOR = Calibrator(method="sigmoid", a=0.8, b=0.05, shrink=0.2, base_rate=0.49)


@pytest.fixture(scope="module")
def bars() -> Bars:
    return real_bars("BTCUSDT")


@pytest.fixture(scope="module")
def features(bars: Bars) -> FeatureRows:
    return compute(bars, CORE)


def forecaster(names: tuple[str, ...], seed: int = 0) -> Forecaster:
    """Scale lines on two real volatility/time features, a coherent random table."""
    rng = np.random.default_rng(seed)
    raw = np.sort(rng.normal(0.0, 1.0, (STEPS, 4, len(GRID))), axis=2)
    coef = np.c_[np.log(np.sqrt(np.arange(1, STEPS + 1))) - 5.0, rng.normal(0, 0.3, (STEPS, 2))]
    inputs = ("rvol_20", "tod_sin")
    return Forecaster(
        steps=STEPS, inputs=inputs, columns=tuple(names.index(n) for n in inputs), log_inputs=(True, False),
        center=(-6.0, 0.0), spread=(1.0, 0.7), coef=tuple(map(tuple, coef.tolist())), levels=GRID,
        table=coherent_table(raw).tolist(),
    )  # fmt: skip


def trained(features: FeatureRows, bars: Bars, seed: int) -> UpModel:
    """LightGBM fitted in milliseconds on the real rows (next close up), with a calibrator and paths."""
    close = dict(zip(bars.ts.tolist(), bars.close.tolist(), strict=True))
    c = np.array([close[t] for t in features.ts.tolist()])
    y = (c[1:] > c[:-1]).astype(np.float64)
    params = {"objective": "binary", "verbose": -1, "num_threads": 1, "seed": seed, "num_leaves": 7}
    data = lightgbm.Dataset(features.values[:-1], label=y, feature_name=list(features.names))
    booster = lightgbm.train(params, data, num_boost_round=5 + seed)
    names = tuple(features.names)
    return UpModel(booster, names, CORE.id, 1, "5m", CALIBRATOR, forecaster(names, seed))


@pytest.fixture(scope="module")
def models(features: FeatureRows, bars: Bars) -> tuple[UpModel, UpModel]:
    return trained(features, bars, 0), trained(features, bars, 1)


def save(store: FileModelStore, model: UpModel, now: int = T0) -> ModelCard:
    return store.save(store.new_version(now), model, card_draft(model, now))


@pytest.fixture
def home(tmp_path: Path, models: tuple[UpModel, UpModel]) -> Path:
    store = FileModelStore(tmp_path)
    store.promote(save(store, models[0]).version)
    return tmp_path


def rows_of(features: FeatureRows, bars: Bars, picks: list[int]) -> list[FeaturesComputed]:
    """The features stream's rows: values in CORE's order (the order the model was trained in)."""
    close = dict(zip(bars.ts.tolist(), bars.close.tolist(), strict=True))
    return [
        FeaturesComputed(
            symbol="BTCUSDT", timeframe="5m", ts=int(features.ts[i]), feature_set=CORE.id,
            values=features.values[i].tolist(),
            close=close[int(features.ts[i])],
        )
        for i in picks
    ]  # fmt: skip


def test_same_numbers_as_the_predictor_service(home, features, bars) -> None:
    predictor = Predictor.from_registry(home)
    rows = rows_of(features, bars, [0, 1500, len(features) - 1])
    served = serving.Served(predictor.model, predictor.version)
    published = predict(served, rows, produced_at=0)
    assert predictor.steps == STEPS
    for row, message in zip(rows, published, strict=True):
        assert predictor.predict_proba_up(row.values) == message.prob_up
        path = predictor.forecast(row.values, row.close, row.ts)
        assert len(path) == STEPS
        assert path.steps() == message.forecast
    assert predictor.feature_names == CORE.names == tuple(features.names)
    X = np.array([r.values for r in rows])
    batch = predictor.predict_proba_up_batch(X)
    assert batch.tolist() == [m.prob_up for m in published]
    assert not np.allclose(batch, predictor.model.raw_proba(X)), "the calibrated probability is served"


def test_predict_bars_runs_the_features_kernel_on_the_history(home, features, bars) -> None:
    predictor = Predictor.from_registry(home)
    got = predictor.predict_bars(bars)
    (row,) = rows_of(features, bars, [len(features) - 1])
    (message,) = predict(serving.Served(predictor.model, "x"), [row], produced_at=0)
    assert got.ts == int(bars.ts[-1]) == message.ts
    assert got.prob_up == message.prob_up
    assert got.forecast is not None
    assert got.forecast.ts.tolist() == [s.ts for s in message.forecast]
    assert np.diff(got.forecast.ts).tolist() == [300_000] * (STEPS - 1)
    with pytest.raises(ValueError, match="warm-up"):
        predictor.predict_bars(bars.take(slice(0, 20)))


def test_missing_features_are_named_and_shapes_checked(home, features) -> None:
    predictor = Predictor.from_registry(home)
    values = dict(zip(features.names, features.values[-1].tolist(), strict=True))
    del values["rvol_20"]
    with pytest.raises(MissingFeaturesError, match="rvol_20") as caught:
        predictor.predict_proba_up(values)
    assert caught.value.missing == ("rvol_20",)
    with pytest.raises(ValueError, match=r"shape \(n, "):
        predictor.predict_proba_up_batch(features.values[:3, :-1])
    with pytest.raises(ValueError, match="one last_close and last_ts per row"):
        predictor.forecast_batch(features.values[:3], [1.0], [T0])


def test_concurrent_first_calls_load_once(home, features) -> None:
    store = FileModelStore(home)
    loads: list[int] = []

    def load() -> tuple[UpModel, ModelCard]:
        loads.append(1)
        return store.load(store.champion() or "")

    predictor = Predictor(load)
    start = threading.Barrier(8)
    out: list[float] = []

    def call() -> None:
        start.wait()
        out.append(predictor.predict_proba_up(features.values[-1]))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1
    assert len(out) == 8
    assert len(set(out)) == 1


def test_reload_follows_the_champion_and_a_pinned_version_stays(home, models, features) -> None:
    store = FileModelStore(home)
    first = store.champion()
    following, pinned = Predictor.from_registry(home), Predictor.from_registry(home, version=first)
    before = following.predict_proba_up(features.values[-1])
    second = save(store, models[1], T0 + 1).version
    store.promote(second)
    assert following.version == first, "nothing changes until reload()"
    assert following.reload() == second
    assert following.predict_proba_up(features.values[-1]) != before
    assert pinned.reload() == first


@pytest.mark.parametrize("name", ["booster.txt", "model.json", "forecaster.json"])
def test_a_tampered_file_is_refused(home, name) -> None:
    store = FileModelStore(home)
    folder = store.folder(store.champion() or "")
    path = folder / name
    path.write_bytes(path.read_bytes().replace(b"0", b"1", 1))
    for predictor in (Predictor.from_registry(home), Predictor.from_folder(folder)):
        with pytest.raises(ModelIntegrityError, match="checksum"):
            predictor.predict_proba_up(np.zeros(len(CORE.names)))


def test_from_folder_reads_a_version_folder(home, features) -> None:
    store = FileModelStore(home)
    folder = store.folder(store.champion() or "")
    a, b = Predictor.from_folder(folder), Predictor.from_registry(home)
    assert a.version == b.version
    assert a.predict_proba_up(features.values[7]) == b.predict_proba_up(features.values[7])


def test_no_registry_or_no_champion_says_so(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no model registry"):
        Predictor.from_registry(tmp_path / "nowhere")
    FileModelStore(tmp_path)
    predictor = Predictor.from_registry(tmp_path)
    with pytest.raises(LookupError, match="no champion"):
        predictor.predict_proba_up([0.0])
