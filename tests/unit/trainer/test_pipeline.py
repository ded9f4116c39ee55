import math
from dataclasses import replace

import numpy as np
import pytest

from candlecast.shared.core.features import SEED
from candlecast.trainer.pipeline import Candidate, should_promote, train_candidate

N_BARS = 30_000


@pytest.fixture(scope="module")
def no_edge(make_walk) -> Candidate:
    series = [make_walk("AAA", N_BARS, seed=11), make_walk("BBB", N_BARS, seed=12)]
    return train_candidate(series, SEED, horizon=1, timeframe="5m", seed=0)


def test_random_walk_shows_no_edge(no_edge):
    m = no_edge.metrics
    assert m.log_loss >= m.baseline_log_loss - 0.002
    assert abs(m.auc - 0.5) <= 0.03
    assert m.n_holdout > 0.15 * 2 * N_BARS


def test_planted_momentum_is_found(make_walk):
    series = [make_walk(s, N_BARS, seed=20 + i, momentum=0.3) for i, s in enumerate("AB")]
    m = train_candidate(series, SEED, horizon=1, timeframe="5m", seed=0).metrics
    assert m.log_loss < m.baseline_log_loss - 0.01
    assert m.auc > 0.58


def test_candidate_ranges_respect_the_embargo(no_edge):
    assert no_edge.train_start_ts < no_edge.train_end_ts
    assert no_edge.train_end_ts + 300_000 < no_edge.holdout_start_ts <= no_edge.holdout_end_ts
    assert no_edge.model.feature_names == SEED.names
    assert no_edge.model.feature_set == SEED.id
    assert no_edge.params["seed"] == 0


def test_wrong_timeframe_is_refused(make_walk):
    with pytest.raises(ValueError, match="timeframe"):
        train_candidate([make_walk("AAA", 500, 1)], SEED, horizon=1, timeframe="1h", seed=0)


def test_should_promote_without_gate_and_rejects_broken_scores(no_edge):
    ok, reason = should_promote(no_edge, None)
    assert ok
    assert "no champion" in reason
    broken = no_edge.metrics.model_copy(update={"auc": math.nan})
    ok, reason = should_promote(replace(no_edge, metrics=broken), None)
    assert not ok
    assert "invalid" in reason


def test_fit_is_deterministic_for_a_seed(make_walk):
    series = [make_walk("AAA", 3_000, 5)]
    a = train_candidate(series, SEED, horizon=2, timeframe="5m", seed=3)
    b = train_candidate(series, SEED, horizon=2, timeframe="5m", seed=3)
    X = np.random.default_rng(0).normal(size=(10, len(SEED.names)))
    np.testing.assert_array_equal(a.model.predict_proba(X), b.model.predict_proba(X))
    assert a.metrics == b.metrics
