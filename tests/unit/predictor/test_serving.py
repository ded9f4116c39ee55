"""The predictor's pure serving code with a hand-written fake booster (P(up) = 0.5 + f1 - f2)."""

from __future__ import annotations

import numpy as np
import pytest

from candlecast.predictor.serving import Served, matrix, predict, refusal, unusable
from candlecast.shared.core.messages import FeaturesComputed, FeatureSetId
from candlecast.shared.core.model import UpModel
from tests.support.models import FS, OTHER, FakeBooster


def served(booster: FakeBooster | None = None) -> Served:
    return Served(UpModel(booster or FakeBooster(), ("f1", "f2"), FS, 3, "5m"), "v7")


def row(
    values: dict[str, float], fs: FeatureSetId = FS, ts: int = 0, symbol: str = "AAA"
) -> FeaturesComputed:
    return FeaturesComputed(symbol=symbol, timeframe="5m", ts=ts, feature_set=fs, values=values, close=100.0)


def test_matrix_follows_the_model_order_not_the_row_order() -> None:
    rows = [row({"f2": 0.2, "extra": 9.0, "f1": 0.1}), row({"f1": 0.3, "f2": 0.4})]
    X = matrix(served().model, rows)
    assert X.dtype == np.float64
    assert X.tolist() == [[0.1, 0.2], [0.3, 0.4]]


def test_one_predict_per_batch_with_the_models_horizon_and_version() -> None:
    booster = FakeBooster()
    rows = [row({"f1": 0.3, "f2": 0.1}, ts=0), row({"f1": 0.0, "f2": 0.2}, ts=300_000, symbol="BBB")]
    out = predict(served(booster), rows, produced_at=42)
    assert len(booster.calls) == 1
    assert [p.prob_up for p in out] == pytest.approx([0.7, 0.3])
    assert [(p.symbol, p.ts) for p in out] == [("AAA", 0), ("BBB", 300_000)]
    assert {(p.horizon, p.model_version, p.produced_at, p.timeframe) for p in out} == {(3, "v7", 42, "5m")}
    assert all(p.forecast == [] for p in out)


def test_probabilities_are_clipped_into_0_1() -> None:
    out = predict(served(), [row({"f1": 0.9, "f2": 0.0}), row({"f1": 0.0, "f2": 0.9})], produced_at=0)
    assert [p.prob_up for p in out] == [1.0, 0.0]


def test_no_rows_means_no_call() -> None:
    booster = FakeBooster()
    assert predict(served(booster), [], produced_at=0) == []
    assert booster.calls == []


def test_refusal_only_when_the_rows_feature_set_differs() -> None:
    model = served().model
    assert refusal(None, model) is None, "no rows seen yet: nothing to compare"
    assert refusal(FS.hash, model) is None
    reason = refusal(OTHER.hash, model)
    assert reason is not None
    assert FS.hash in reason
    assert OTHER.hash in reason


def test_unusable_rows_say_why() -> None:
    s = served()
    assert unusable(s, row({"f1": 0.1, "f2": 0.2})) is None
    other = unusable(s, row({"f1": 0.1, "f2": 0.2}, fs=OTHER))
    assert other == f"feature set {OTHER.hash} does not match model v7 ({FS.hash})"
    missing = unusable(s, row({"f1": 0.1}))
    assert missing == "row lacks 1 of the model's features, e.g. ['f2']"
