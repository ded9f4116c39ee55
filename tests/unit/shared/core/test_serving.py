"""The predictor's pure serving code (shared core), with a fake booster: P(up) = 0.5 + f1 - f2."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from candlecast.shared.core.calibration import Calibrator
from candlecast.shared.core.messages import FeaturesComputed, FeatureSetId
from candlecast.shared.core.model import SERIAL_WORK, UpModel
from candlecast.shared.core.serving import (
    LATENCY_PATH,
    WARMUP_CALLS,
    Served,
    matrix,
    measure_latency,
    predict_batch,
    refusal,
    triage,
    unusable,
)
from tests.support.models import FS, OTHER, FakeBooster
from tests.support.predictions import predict


def served(booster: FakeBooster | None = None, calibrator: Calibrator | None = None) -> Served:
    model = UpModel(booster or FakeBooster(), ("f1", "f2"), FS, 3, "5m")
    return Served(model if calibrator is None else replace(model, calibrator=calibrator), "v7")


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


def test_probabilities_stay_strictly_inside_0_1() -> None:
    out = predict(served(), [row({"f1": 0.9, "f2": 0.0}), row({"f1": 0.0, "f2": 0.9})], produced_at=0)
    assert [p.prob_up for p in out] == [1 - 1e-6, 1e-6]


def test_the_published_probability_is_the_calibrated_one() -> None:
    shrunk = Calibrator(shrink=0.8, base_rate=0.52)  # identity map, mostly the base rate
    out = predict(served(calibrator=shrunk), [row({"f1": 0.3, "f2": 0.1})], produced_at=0)
    assert out[0].prob_up == pytest.approx(0.2 * 0.7 + 0.8 * 0.52)


def test_small_work_predicts_on_one_thread_big_work_on_the_pool() -> None:
    booster = FakeBooster()
    model = served(booster).model
    model.predict_proba(np.zeros((1, 2)))
    model.predict_proba(np.zeros((SERIAL_WORK // booster.num_trees(), 2)))
    model.predict_proba(np.zeros((SERIAL_WORK // booster.num_trees() + 1, 2)))
    assert booster.threads == [1, 1, 0], "0: LightGBM's default pool for big batches"


def test_triage_keeps_scoreable_rows_and_says_why_for_the_rest() -> None:
    rows = [row({"f1": 0.1, "f2": 0.2}), row({"f1": 0.1}), row({"f1": 0.0, "f2": 0.0}, fs=OTHER)]
    usable, refused = triage(served(), rows)
    assert usable == [rows[0]]
    assert [i for i, _ in refused] == [1, 2]
    assert "lacks 1" in refused[0][1]
    assert OTHER.hash in refused[1][1]


def test_latency_times_each_call_of_the_serving_path_with_the_injected_timer() -> None:
    booster = FakeBooster()
    ticks = iter(range(10_000))
    timer = lambda: next(ticks) * 0.001  # noqa: E731 - each reading 1 ms after the last
    rows = [row({"f1": 0.1 * i, "f2": 0.0}, ts=i) for i in range(3)]
    lat = measure_latency(served(booster), rows, timer, samples=20, batch_rows=2)
    assert (lat.p50, lat.p95, lat.p99) == pytest.approx((1.0, 1.0, 1.0)), "two readings per call"
    assert (lat.samples, lat.batch_rows, lat.path) == (20, 2, LATENCY_PATH)
    assert len(booster.calls) == 20 + WARMUP_CALLS
    assert [c[:, 0].tolist() for c in booster.calls[:2]] == [[0.0, 0.1], [0.2, 0.0]], "cycles the rows"
    with pytest.raises(ValueError, match="latency needs rows"):
        measure_latency(served(), [], timer)


def test_no_rows_means_no_call() -> None:
    booster = FakeBooster()
    batch = predict_batch(served(booster), [], produced_at=0)  # the predictor's call, e.g. all rows refused
    assert (list(batch.rows), batch.prob_up.tolist(), batch.paths) == ([], [], None)
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
