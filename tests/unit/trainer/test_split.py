import numpy as np
import pytest

from candlecast.trainer.split import label_span_ms, time_split

STEP = 300_000  # 5m


def pooled_ts(n_bars: int, n_symbols: int) -> np.ndarray:
    return np.sort(np.tile(np.arange(n_bars, dtype=np.int64) * STEP, n_symbols), kind="stable")


def test_label_span_is_horizon_bars():
    assert label_span_ms(3, "5m") == 3 * STEP


@pytest.mark.parametrize("horizon", [1, 4, 12])
def test_no_train_row_within_embargo_of_holdout(horizon):
    ts = pooled_ts(1_000, 3)
    span = label_span_ms(horizon, "5m")
    split = time_split(ts, 0.2, embargo_ms=span, label_span=span)
    first_holdout = ts[split.holdout].min()
    assert first_holdout == split.cutoff_ts
    # every training label (t .. t + span) ends strictly before the first holdout bar
    assert (ts[split.train] + span < first_holdout).all()
    assert ts[split.train].max() == first_holdout - span - STEP
    assert np.intersect1d(split.train, split.holdout).size == 0


def test_holdout_is_the_newest_fraction_of_timestamps_for_all_symbols():
    ts = pooled_ts(1_000, 2)
    split = time_split(ts, 0.2, embargo_ms=STEP, label_span=STEP)
    assert split.cutoff_ts == 800 * STEP
    assert split.holdout.size == 2 * 200
    assert (ts[split.holdout] >= split.cutoff_ts).all()


def test_embargo_shorter_than_label_span_raises():
    ts = pooled_ts(100, 1)
    with pytest.raises(ValueError, match="embargo"):
        time_split(ts, 0.2, embargo_ms=label_span_ms(3, "5m") - 1, label_span=label_span_ms(3, "5m"))


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_bad_fraction_raises(fraction):
    with pytest.raises(ValueError):
        time_split(pooled_ts(100, 1), fraction, embargo_ms=STEP, label_span=STEP)


def test_embargo_eating_all_training_rows_raises():
    with pytest.raises(ValueError, match="no training rows"):
        time_split(pooled_ts(10, 1), 0.5, embargo_ms=100 * STEP, label_span=STEP)
