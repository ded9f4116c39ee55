"""A finished model's card records each feature's distribution over its training rows only."""

from __future__ import annotations

import time

import numpy as np
import pytest

from candlecast.shared.core.drift import expected
from candlecast.shared.core.features import SEED
from candlecast.trainer.card import Source
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.evaluate import Context, finish
from candlecast.trainer.pipeline import train

CONFIG = TrainConfig(trials=2, n_splits=3, n_jobs=1, latency_samples=20)


def test_the_card_holds_the_training_rows_deciles(make_walk, tmp_path) -> None:
    series = [make_walk(s, 3_000, seed=30 + i) for i, s in enumerate("AB")]
    trained = train(series, SEED, 1, "5m", CONFIG)
    draft = finish(trained, series, CONFIG, None, Context(Source("file"), 1), tmp_path, time.perf_counter)
    drift = draft.drift
    assert drift is not None
    assert drift.rows == draft.train.rows == trained.pre.shape[0], "training rows, not the holdout"
    assert [f.name for f in drift.features] == list(draft.feature_set.names)
    for j, feature in enumerate(drift.features):
        assert len(feature.edges) <= 9
        assert expected(feature).sum() == pytest.approx(1.0, abs=1e-5)
        column = trained.data.X[trained.pre, j]
        finite = column[np.isfinite(column)]
        if feature.edges:
            assert feature.edges[0] >= finite.min()
            assert feature.edges[-1] <= finite.max()
