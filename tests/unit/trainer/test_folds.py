import numpy as np
import pytest

from candlecast.trainer.folds import Fold, LeakageError, assert_purged, walk_forward

STEP = 60_000


def pooled_ts(n_bars: int, n_symbols: int) -> np.ndarray:
    return np.sort(np.tile(np.arange(n_bars, dtype=np.int64) * STEP, n_symbols), kind="stable")


@pytest.mark.parametrize("horizon", [1, 5])
def test_folds_expand_and_are_purged(horizon):
    ts = pooled_ts(1_200, 3)
    span = horizon * STEP
    folds = walk_forward(ts, n_splits=3, embargo_ms=span, label_span_ms=span)
    assert len(folds) == 3
    valid_blocks = [(ts[f.valid].min(), ts[f.valid].max()) for f in folds]
    assert valid_blocks == [(300 * STEP, 599 * STEP), (600 * STEP, 899 * STEP), (900 * STEP, 1199 * STEP)]
    for f, (start, _) in zip(folds, valid_blocks, strict=True):
        assert (ts[f.train] + span < start).all()  # every training label ends before validation
        assert ts[f.train].max() == start - span - STEP  # and nothing more is purged
        assert np.intersect1d(f.train, f.valid).size == 0
    sizes = [f.train.size for f in folds]
    assert sizes == sorted(sizes)
    assert sizes[0] < sizes[-1]
    assert sum(f.valid.size for f in folds) == 900 * 3  # symbols of one ts stay together


def test_max_rows_uses_only_the_newest_rows():
    ts = pooled_ts(1_000, 2)
    folds = walk_forward(ts, n_splits=2, embargo_ms=STEP, label_span_ms=STEP, max_rows=600)
    used = np.concatenate([np.concatenate([f.train, f.valid]) for f in folds])
    assert used.min() == 2_000 - 600
    assert ts[folds[-1].valid].max() == ts.max()


def test_embargo_shorter_than_label_span_raises():
    with pytest.raises(ValueError, match="embargo"):
        walk_forward(pooled_ts(100, 1), 2, embargo_ms=STEP, label_span_ms=2 * STEP)


def test_embargo_eating_a_fold_raises():
    with pytest.raises(ValueError, match="empty"):
        walk_forward(pooled_ts(30, 1), 2, embargo_ms=20 * STEP, label_span_ms=STEP)


def test_guard_catches_overlap_with_the_embargo():
    ts = np.arange(10, dtype=np.int64) * STEP
    ok = Fold(train=np.arange(0, 4), valid=np.arange(6, 10))
    assert_purged(ts, [ok], embargo_ms=2 * STEP)  # last train 3 < first valid 6 - 2
    with pytest.raises(LeakageError, match="fold 0"):
        assert_purged(ts, [ok], embargo_ms=3 * STEP)  # 3 < 6 - 3 fails
    late = Fold(train=np.arange(0, 7), valid=np.arange(6, 10))
    with pytest.raises(LeakageError, match="fold 1"):
        assert_purged(ts, [ok, late], embargo_ms=0)
