"""`booster_predict` calls LightGBM's C API directly: the same numbers, bit for bit, as `Booster.predict`."""

from __future__ import annotations

import numpy as np
import pytest

from candlecast.shared.core.model import booster_predict
from tests.support.models import FakeBooster, tiny_booster

NAMES = ("f1", "f2", "f3")


@pytest.mark.parametrize("rows", [1, 2, 10, 500])
@pytest.mark.parametrize("threads", [0, 1])
@pytest.mark.parametrize("order", ["C", "F"])
def test_the_same_bits_as_booster_predict(rows: int, threads: int, order: str) -> None:
    booster = tiny_booster(NAMES, seed=rows, rounds=8)
    X = np.asarray(np.random.default_rng(rows).normal(size=(rows, len(NAMES))), order=order)
    X[0, 1] = np.nan  # missing values take LightGBM's default branch on both paths
    got = booster_predict(booster, X, threads)
    want = booster.predict(X, num_threads=threads)
    assert got.dtype == np.float64
    assert got.shape == want.shape
    assert got.tobytes() == want.tobytes()


def test_a_best_iteration_is_honoured_as_predict_does() -> None:
    booster = tiny_booster(NAMES, rounds=8)
    booster.best_iteration = 3
    X = np.random.default_rng(1).normal(size=(20, len(NAMES)))
    assert booster_predict(booster, X, 1).tobytes() == booster.predict(X, num_threads=1).tobytes()


def test_other_inputs_go_through_predict_itself() -> None:
    booster = tiny_booster(NAMES)
    X = np.random.default_rng(2).normal(size=(6, 2 * len(NAMES)))[:, ::2]  # strided: not contiguous
    assert booster_predict(booster, X, 1).tobytes() == booster.predict(X, num_threads=1).tobytes()
    X32 = np.random.default_rng(3).normal(size=(4, len(NAMES))).astype(np.float32)
    assert booster_predict(booster, X32, 1).tobytes() == booster.predict(X32, num_threads=1).tobytes()
    fake = FakeBooster(NAMES)
    booster_predict(fake, np.zeros((3, len(NAMES))), 1)
    assert fake.threads == [1], "a booster without a C handle is asked through predict, threads kept"
