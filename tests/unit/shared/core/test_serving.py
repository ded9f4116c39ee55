"""The predictor's pure serving code (shared core), with a fake booster: P(up) = 0.5 + f1 - f2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from candlecast.shared.core.calibration import Calibrator
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.features.catalog import SEED
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
    scoreable,
    triage,
    unusable,
)
from tests.support.models import FS, OTHER, FakeBooster
from tests.support.predictions import predict


def served(booster: FakeBooster | None = None, calibrator: Calibrator | None = None) -> Served:
    model = UpModel(booster or FakeBooster(), ("f1", "f2"), FS, 3, "5m")
    return Served(model if calibrator is None else replace(model, calibrator=calibrator), "v7")


def row(values: Sequence[float], fs: FeatureSetId = FS, ts: int = 0, symbol: str = "AAA") -> FeatureRow:
    """Values in the feature set's order (for FS, a set this code does not know: the model's order)."""
    return FeatureRow(symbol=symbol, timeframe="5m", ts=ts, feature_set=fs, values=values, close=100.0)


def test_rows_of_an_unknown_set_are_in_the_models_order() -> None:
    kernel = np.array([[0.3, 0.4]])
    rows = [row([0.1, 0.2]), row(kernel[0])]  # a list, or a numpy row view as the features step gives
    X = matrix(served().model, rows)
    assert X.dtype == np.float64
    assert X.shape == (2, 2)
    assert X.tolist() == [[0.1, 0.2], [0.3, 0.4]]


def test_a_known_sets_rows_are_reordered_to_a_model_that_orders_its_names_differently() -> None:
    names = tuple(reversed(SEED.names))
    model = UpModel(FakeBooster(names), names, SEED.id, 3, "5m")
    values = [float(i + 1) for i in range(len(SEED.names))]  # SEED's order: close first
    X = matrix(model, [row(values, fs=SEED.id), row([10 * v for v in values], fs=SEED.id)])
    assert X.tolist() == [values[::-1], [10 * v for v in values[::-1]]]
    same = UpModel(FakeBooster(SEED.names), SEED.names, SEED.id, 3, "5m")
    assert matrix(same, [row(values, fs=SEED.id)]).tolist() == [values], "same order: as written"


def test_a_features_computed_message_is_a_row_too() -> None:
    msg = FeaturesComputed(symbol="AAA", timeframe="5m", ts=0, feature_set=FS, values=[0.3, 0.1], close=1.0)
    assert matrix(served().model, [msg]).tolist() == [[0.3, 0.1]]
    assert unusable(served(), msg) is None


def test_one_predict_per_batch_with_the_models_horizon_and_version() -> None:
    booster = FakeBooster()
    rows = [row([0.3, 0.1], ts=0), row([0.0, 0.2], ts=300_000, symbol="BBB")]
    out = predict(served(booster), rows, produced_at=42)
    assert len(booster.calls) == 1
    assert [p.prob_up for p in out] == pytest.approx([0.7, 0.3])
    assert [(p.symbol, p.ts) for p in out] == [("AAA", 0), ("BBB", 300_000)]
    assert {(p.horizon, p.model_version, p.produced_at, p.timeframe) for p in out} == {(3, "v7", 42, "5m")}
    assert all(p.forecast == [] for p in out)


def test_probabilities_stay_strictly_inside_0_1() -> None:
    out = predict(served(), [row([0.9, 0.0]), row([0.0, 0.9])], produced_at=0)
    assert [p.prob_up for p in out] == [1 - 1e-6, 1e-6]


def test_the_published_probability_is_the_calibrated_one() -> None:
    shrunk = Calibrator(shrink=0.8, base_rate=0.52)  # identity map, mostly the base rate
    out = predict(served(calibrator=shrunk), [row([0.3, 0.1])], produced_at=0)
    assert out[0].prob_up == pytest.approx(0.2 * 0.7 + 0.8 * 0.52)


def test_small_work_predicts_on_one_thread_big_work_on_the_pool() -> None:
    booster = FakeBooster()
    model = served(booster).model
    model.predict_proba(np.zeros((1, 2)))
    model.predict_proba(np.zeros((SERIAL_WORK // booster.num_trees(), 2)))
    model.predict_proba(np.zeros((SERIAL_WORK // booster.num_trees() + 1, 2)))
    assert booster.threads == [1, 1, 0], "0: LightGBM's default pool for big batches"


def test_triage_keeps_scoreable_rows_and_says_why_for_the_rest() -> None:
    rows = [row([0.1, 0.2]), row([0.1]), row([0.0, 0.0], fs=OTHER)]
    usable, refused = triage(served(), rows)
    assert usable == [rows[0]]
    assert [i for i, _ in refused] == [1, 2]
    assert "has 1 values" in refused[0][1]
    assert OTHER.hash in refused[1][1]


def test_latency_times_each_call_of_the_serving_path_with_the_injected_timer() -> None:
    booster = FakeBooster()
    ticks = iter(range(10_000))
    timer = lambda: next(ticks) * 0.001  # noqa: E731 - each reading 1 ms after the last
    rows = [row([0.1 * i, 0.0], ts=i) for i in range(3)]
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
    assert unusable(s, row([0.1, 0.2])) is None
    other = unusable(s, row([0.1, 0.2], fs=OTHER))
    assert other == f"feature set {OTHER.hash} does not match model v7 ({FS.hash})"
    assert unusable(s, row([0.1])) == "row has 1 values; feature set t has 2"
    assert unusable(s, row([0.1, 0.2, 0.3])) == "row has 3 values; feature set t has 2"
    assert unusable(s, row([])) == "row has 0 values; feature set t has 2"


def test_scoreable_refuses_rows_whose_values_are_not_all_finite_numbers_and_scores_the_rest() -> None:
    rows = [row([0.1, 0.2]), row([0.5, None]), row([0.3, 0.4]), row([float("inf"), 0.0]), row([0.1])]  # type: ignore[list-item]
    usable, refused, X = scoreable(served(), rows)
    assert usable == [rows[0], rows[2]]
    assert refused == [
        (1, "feature values are not all numbers"),
        (3, "feature values are not all finite"),
        (4, "row has 1 values; feature set t has 2"),
    ]
    assert X.tolist() == [[0.1, 0.2], [0.3, 0.4]]
    nan = scoreable(served(), [row([float("nan"), 0.0])])
    assert nan[:2] == ([], [(0, "feature values are not all finite")])
    assert nan[2].shape == (0, 2)


@pytest.mark.parametrize("bad", [[0.5, "1.0"], [[0.5], [1.0]], [0.5, None]], ids=["text", "nested", "null"])
def test_scoreable_refuses_values_that_are_not_numbers(bad: list[object]) -> None:
    rows = [row([0.1, 0.2]), row(bad), row([0.3, 0.4])]
    _, refused, X = scoreable(served(), rows)
    assert [i for i, _ in refused] == [1]
    assert X.tolist() == [[0.1, 0.2], [0.3, 0.4]]
