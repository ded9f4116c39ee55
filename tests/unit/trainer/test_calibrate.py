import numpy as np
import pytest

from candlecast.shared.core.scoring import ece, log_loss
from candlecast.trainer.calibrate import anchor, choose_shrink, fit_calibrator, fit_isotonic, fit_sigmoid, pav


def test_pav_pools_violators_by_weight():
    fitted = pav(np.array([1.0, 3.0, 2.0, 4.0]), np.array([1.0, 1.0, 3.0, 1.0]))
    np.testing.assert_allclose(fitted, [1.0, 2.25, 2.25, 4.0])  # (3*1 + 2*3) / 4
    assert (np.diff(pav(np.random.default_rng(0).normal(size=200), np.ones(200))) >= 0).all()


def skilled(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Raw p that rank well but are overconfident: true P(up) = 0.5 + (raw - 0.5) / 2."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.1, 0.9, n)
    y = (rng.uniform(size=n) < 0.5 + (raw - 0.5) / 2).astype(np.float64)
    return raw, y


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_skilled_but_overconfident_model_is_calibrated_not_shrunk_away(method):
    raw, y = skilled(40_000, 1)
    cal = fit_calibrator(raw, y, method, base_rate=float(y.mean()))
    assert cal.method == method
    assert cal.shrink < 0.2
    test_raw, test_y = skilled(40_000, 2)
    p = cal.apply(test_raw)
    assert ece(test_y, p) < 0.01 < ece(test_y, test_raw)
    assert log_loss(test_y, p) < log_loss(test_y, test_raw)
    np.testing.assert_allclose(cal.apply(np.array([0.2, 0.5, 0.8])), [0.35, 0.5, 0.65], atol=0.03)


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_no_skill_publishes_about_the_base_rate(method):
    rng = np.random.default_rng(3)
    raw = rng.uniform(0.3, 0.7, 30_000)  # confident noise
    y = (rng.uniform(size=30_000) < 0.53).astype(np.float64)
    cal = fit_calibrator(raw, y, method, base_rate=0.53)
    assert cal.shrink >= 0.9
    p = cal.apply(rng.uniform(0.0, 1.0, 1_000))
    assert np.abs(p - 0.53).max() < 0.01


def test_nan_rows_are_ignored_and_tiny_samples_give_the_base_rate():
    raw, y = skilled(20_000, 4)
    with_nan = np.r_[np.full(5_000, np.nan), raw]
    a = fit_calibrator(with_nan, np.r_[np.zeros(5_000), y], "isotonic", 0.5)
    b = fit_calibrator(raw, y, "isotonic", 0.5)
    assert a == b
    tiny = fit_calibrator(raw[:100], y[:100], "isotonic", 0.42)
    assert tiny.shrink == 1.0
    np.testing.assert_allclose(tiny.apply(np.array([0.1, 0.9])), 0.42)


def test_sigmoid_recovers_platt_coefficients():
    rng = np.random.default_rng(5)
    raw = rng.uniform(0.05, 0.95, 50_000)
    z = np.log(raw / (1 - raw))
    y = (rng.uniform(size=50_000) < 1 / (1 + np.exp(-(0.5 * z + 0.2)))).astype(np.float64)
    cal = fit_sigmoid(raw, y)
    assert cal.a == pytest.approx(0.5, abs=0.05)
    assert cal.b == pytest.approx(0.2, abs=0.05)


def test_shrink_is_chosen_out_of_sample():
    # isotonic fitted in-sample on noise looks good; cross-fitted it does not
    rng = np.random.default_rng(6)
    raw, y = rng.uniform(size=20_000), (rng.uniform(size=20_000) < 0.5).astype(np.float64)
    assert choose_shrink(raw, y, "isotonic", 0.5) >= 0.8


def drifted(n: int, seed: int, shift: float, centre: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Overconfident raw p around `centre`; the fold's true P(up) = 0.5 + (raw - centre) / 2 + shift."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(centre - 0.3, centre + 0.3, n)
    y = (rng.uniform(size=n) < 0.5 + (raw - centre) / 2 + shift).astype(np.float64)
    return raw, y


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_a_fold_whose_up_share_drifts_sets_the_shape_not_the_level(method):
    # the short calibration fold went up 45% of the time, the long run 50%: publish the long run
    raw, y = drifted(30_000, 7, shift=-0.05)
    assert y.mean() == pytest.approx(0.45, abs=0.01)
    cal = fit_calibrator(raw, y, method, base_rate=0.5, raw_level=0.5)
    assert float(np.mean(cal.apply(raw))) == pytest.approx(0.5, abs=0.002)
    np.testing.assert_allclose(cal.apply(np.array([0.3, 0.7])), [0.4, 0.6], atol=0.03)  # slope still halved


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_the_level_moves_by_base_rate_minus_the_boosters_raw_level(method):
    # a booster trained with scale_pos_weight centres its raw p on 0.5 for a 30% up-share
    raw, y = drifted(30_000, 8, shift=-0.17)  # this fold: ~33% up
    cal = fit_calibrator(raw, y, method, base_rate=0.30, raw_level=0.5)
    assert float(np.mean(cal.apply(raw))) == pytest.approx(0.30, abs=0.003)
    assert cal.shrink < 0.2  # the shape is worth keeping


def test_anchor_hits_the_level_through_clipping_and_stays_monotone():
    raw, y = skilled(20_000, 9)
    cal = anchor(fit_isotonic(raw, y), raw, 0.9)  # values pushed past 1 are clipped; the rest rise more
    assert float(np.mean(cal.apply(raw))) == pytest.approx(0.9, abs=1e-3)
    assert (np.diff(cal.y) >= 0).all()
    assert max(cal.y) == 1.0
