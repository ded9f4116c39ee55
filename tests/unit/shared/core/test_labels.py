import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from candlecast.shared.core.labels import (
    assert_no_label_columns,
    forward_log_return,
    forward_ohlc,
    label_names,
    up_label,
)

CLOSE = np.array([10.0, 11.0, 11.0, 9.0, 12.0])


def test_up_label_h1_by_hand():
    assert_array_equal(up_label(CLOSE, 1), [1.0, 0.0, 0.0, 1.0, np.nan])


def test_up_label_h2_by_hand():
    assert_array_equal(up_label(CLOSE, 2), [1.0, 0.0, 1.0, np.nan, np.nan])


def test_up_label_horizon_past_end_is_all_nan():
    assert np.isnan(up_label(CLOSE, 5)).all()
    assert np.isnan(up_label(CLOSE, 9)).all()


def test_up_label_rejects_zero_horizon():
    with pytest.raises(ValueError, match="horizon"):
        up_label(CLOSE, 0)


def test_forward_log_return_by_hand():
    out = forward_log_return(CLOSE, 2)
    assert_allclose(out[:3], [np.log(11 / 10), np.log(9 / 11), np.log(12 / 11)])
    assert np.isnan(out[3:]).all()


def test_forward_ohlc_by_hand():
    open_ = np.array([1.0, 2.0, 3.0])
    high = np.array([1.5, 2.5, 3.5])
    low = np.array([0.5, 1.5, 2.5])
    close = np.array([1.0, 2.0, 4.0])
    out = forward_ohlc(open_, high, low, close, 2)
    assert out.shape == (3, 2, 4)
    assert_allclose(out[0, 0], [2 / 1 - 1, 2.5 - 1, 1.5 - 1, 2 - 1])
    assert_allclose(out[0, 1], [3 - 1, 3.5 - 1, 2.5 - 1, 4 - 1])
    assert_allclose(out[1, 0], [3 / 2 - 1, 3.5 / 2 - 1, 2.5 / 2 - 1, 4 / 2 - 1])
    assert np.isnan(out[1, 1]).all()
    assert np.isnan(out[2]).all()


def test_forward_ohlc_longer_than_series_is_nan():
    x = np.array([1.0, 2.0])
    out = forward_ohlc(x, x, x, x, 5)
    assert out.shape == (2, 5, 4)
    assert_allclose(out[0, 0], [1.0, 1.0, 1.0, 1.0])
    assert np.isnan(out[0, 1:]).all()
    assert np.isnan(out[1]).all()


def test_label_names_by_hand():
    ohlc = ("open", "high", "low", "close")
    assert label_names(3, 2) == (
        "label_up_h3",
        "label_logret_h3",
        *(f"label_ohlc_k1_{f}" for f in ohlc),
        *(f"label_ohlc_k2_{f}" for f in ohlc),
    )


def test_guard_refuses_every_label_name():
    for name in label_names(7, 3):
        with pytest.raises(ValueError, match=name):
            assert_no_label_columns(["ret_1", name])


def test_guard_passes_plain_features():
    assert_no_label_columns(["ret_1", "rsi_14", "labelled_volume"])


@pytest.mark.parametrize("leak", ["label_up_h1", "label_anything", "LABEL_up_h1"])
def test_guard_raises_on_label_names(leak):
    with pytest.raises(ValueError, match=leak):
        assert_no_label_columns(["ret_1", leak])
