"""write_model / read_model with a path forecaster: same paths back, and forecaster.json is pinned."""

from __future__ import annotations

import json

import numpy as np
import pytest

from candlecast.shared.adapters.model_files import read_model, write_model
from candlecast.shared.core.constants import FORECASTER_FILE, MODEL_FILE
from candlecast.shared.core.forecast import price_paths
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.ports import ModelIntegrityError
from tests.support.forecasters import random_forecaster
from tests.support.models import FS, tiny_booster

NAMES = ("f1", "f2")


def model(steps: int = 12) -> UpModel:
    return UpModel(tiny_booster(NAMES), NAMES, FS, 1, "5m", forecaster=random_forecaster(steps, seed=5))


def test_a_forecaster_round_trips_with_identical_paths(tmp_path) -> None:
    written = model(300)
    sha = write_model(tmp_path, written)
    read = read_model(tmp_path, sha)
    assert read.forecaster is not None
    assert written.forecaster is not None
    assert read.forecaster.model_dump() == written.forecaster.model_dump()
    assert json.loads((tmp_path / MODEL_FILE).read_text())["forecaster"]["file"] == FORECASTER_FILE
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(-1, 1, 50), rng.lognormal(-6, 1, 50)]
    close, ts = rng.uniform(10, 100, 50), np.arange(50, dtype=np.int64) * 300_000
    before = price_paths(written.forecaster, X, close, ts, 300_000)
    after = price_paths(read.forecaster, X, close, ts, 300_000)
    for name in ("ts", "median", "lower", "upper"):
        assert np.array_equal(getattr(before, name), getattr(after, name))
    assert np.array_equal(read.predict_proba(X), written.predict_proba(X))


def test_a_model_without_forecaster_reads_back_without_one(tmp_path) -> None:
    plain = UpModel(tiny_booster(NAMES), NAMES, FS, 1, "5m")
    assert read_model(tmp_path, write_model(tmp_path, plain)).forecaster is None
    assert not (tmp_path / FORECASTER_FILE).exists()


def test_an_edited_forecaster_file_is_refused(tmp_path) -> None:
    sha = write_model(tmp_path, model())
    doc = json.loads((tmp_path / FORECASTER_FILE).read_text())
    doc["coef"][0][0] += 1.0  # wider bands at step 1
    (tmp_path / FORECASTER_FILE).write_text(json.dumps(doc))
    with pytest.raises(ModelIntegrityError, match=r"forecaster\.json checksum"):
        read_model(tmp_path, sha)
