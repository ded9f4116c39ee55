import math

import numpy as np
import pytest

from candlecast.shared.core.scoring import baselines, ece, holdout_metrics, log_loss


def a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_ece_uses_15_bins_by_default():
    # p 0.30 and 0.35 share a 10-bin bin but not a 15-bin one ([0.2667, 0.3333) vs [0.3333, 0.4))
    y, p = a(0, 1), a(0.30, 0.35)
    assert ece(y, p) == pytest.approx((0.30 + 0.65) / 2)
    assert ece(y, p, bins=10) == pytest.approx(abs(0.5 - 0.325))


def test_holdout_metrics_by_hand():
    y = a(1, 1, 1, 0, 0)
    p = a(0.9, 0.6, 0.4, 0.7, 0.2)  # predicted up: rows 0, 1, 3
    m = holdout_metrics(y, p)
    assert m.accuracy == pytest.approx(3 / 5)  # tp 2, tn 1
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    assert m.balanced_accuracy == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert m.auc_roc == pytest.approx(4 / 6)  # 0.6 and 0.4 lose to 0.7
    assert m.log_loss == pytest.approx(log_loss(y, p))
    assert m.brier == pytest.approx(np.mean((p - y) ** 2))
    assert m.rows == 5


def test_holdout_metrics_with_no_predicted_ups_and_one_class():
    m = holdout_metrics(a(1, 1), a(0.4, 0.3))
    assert (m.precision, m.recall, m.f1, m.accuracy) == (0.0, 0.0, 0.0, 0.0)
    assert m.auc_roc is None
    assert '"auc_roc":null' in m.model_dump_json()


def test_baselines_and_skill():
    y = a(1, 0, 1, 1)
    p = a(0.8, 0.2, 0.7, 0.9)
    b = baselines(y, p, train_base_rate=0.6)
    assert b.base_rate.prob_up == 0.6
    assert b.base_rate.log_loss == pytest.approx(log_loss(y, np.full(4, 0.6)))
    assert b.base_rate.log_loss_skill == pytest.approx(1 - log_loss(y, p) / b.base_rate.log_loss)
    assert b.base_rate.log_loss_skill > 0
    assert b.base_rate.brier_skill == pytest.approx(1 - np.mean((p - y) ** 2) / np.mean((0.6 - y) ** 2))
    assert b.base_rate.accuracy == pytest.approx(3 / 4)
    assert b.majority.prob_up == pytest.approx(1 - 1e-6)
    assert b.majority.log_loss == pytest.approx(-math.log(1e-6) / 4, rel=1e-3)
    assert b.majority.accuracy == pytest.approx(3 / 4)
    assert baselines(y, p, train_base_rate=0.4).majority.prob_up == pytest.approx(1e-6)


def test_base_rate_forecast_has_zero_skill():
    y = a(1, 0, 0, 1, 1)
    b = baselines(y, np.full(5, 0.6), train_base_rate=0.6)
    assert b.base_rate.log_loss_skill == pytest.approx(0.0)
    assert b.base_rate.brier_skill == pytest.approx(0.0)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError):
        holdout_metrics(a(1, 0), a(0.5))
    with pytest.raises(ValueError):
        baselines(a(), a(), 0.5)
