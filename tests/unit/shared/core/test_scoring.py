import math

import numpy as np
import pytest

from candlecast.shared.core.scoring import average_ranks, brier, ece, log_loss, roc_auc


def a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_log_loss_by_hand():
    # -(ln 0.8 + ln 0.6) / 2
    assert log_loss(a(1, 0), a(0.8, 0.4)) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)


def test_log_loss_of_perfect_and_confidently_wrong_forecasts_stays_finite():
    assert log_loss(a(1, 0), a(1, 0)) == pytest.approx(0.0, abs=1e-12)
    wrong = log_loss(a(1, 0), a(0, 1))
    assert math.isfinite(wrong)
    assert wrong > 30


def test_brier_by_hand():
    assert brier(a(1, 0, 1), a(0.5, 0.2, 1.0)) == pytest.approx((0.25 + 0.04 + 0) / 3)


def test_average_ranks_share_ties():
    np.testing.assert_allclose(average_ranks(a(10, 20, 10, 30, 20)), a(1.5, 3.5, 1.5, 5, 3.5))


def test_auc_by_hand_with_ties():
    # positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4, 0.8>0.1, 0.4=0.4 half, 0.4>0.1)
    assert roc_auc(a(1, 1, 0, 0), a(0.8, 0.4, 0.4, 0.1)) == pytest.approx(3.5 / 4)


def test_auc_perfect_reversed_and_constant():
    y = a(0, 0, 1, 1, 0, 1)
    p = a(0.1, 0.2, 0.9, 0.8, 0.3, 0.7)
    assert roc_auc(y, p) == pytest.approx(1.0)
    assert roc_auc(y, 1 - p) == pytest.approx(0.0)
    assert roc_auc(y, np.full(6, 0.5)) == pytest.approx(0.5)


def test_auc_of_one_class_is_nan():
    assert math.isnan(roc_auc(a(1, 1), a(0.2, 0.3)))


def test_ece_by_hand():
    # bin [0.2, 0.3): p 0.2, 0.2 vs y 0, 1 -> |0.5 - 0.2| ; bin [0.9, 1]: p 1.0 vs y 1 -> 0
    assert ece(a(0, 1, 1), a(0.2, 0.2, 1.0)) == pytest.approx((2 / 3) * 0.3)


def test_ece_of_calibrated_constant_is_zero():
    assert ece(a(0, 1, 0, 1), np.full(4, 0.5)) == pytest.approx(0.0)
