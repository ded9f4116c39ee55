"""fast_price_paths gives price_paths' numbers bit for bit; Forecasters compare and copy by their fields."""

import numpy as np
import pytest

from candlecast.shared.core.forecast import fast_price_paths, price_paths
from tests.unit.shared.core.test_forecast import make, rows

FIELDS = ("ts", "median", "lower", "upper")


@pytest.mark.parametrize("steps", [1, 12, 300])
@pytest.mark.parametrize("n", [1, 2, 256])
def test_fast_paths_equal_the_batch_paths_bit_for_bit(steps: int, n: int) -> None:
    f = make(steps)
    X = rows(n, seed=n)
    if n > 1:  # inputs nan_to_num must handle: nan -> 0, inf -> the largest float
        X[0, 1], X[1, 0] = np.nan, np.inf
    rng = np.random.default_rng(steps)
    close, ts = np.exp(rng.normal(5.0, 2.0, n)), rng.integers(0, 10**12, n)
    slow, fast = price_paths(f, X, close, ts, 60_000), fast_price_paths(f, X, close, ts, 60_000)
    for name in FIELDS:
        a, b = getattr(slow, name), getattr(fast, name)
        assert a.shape == b.shape
        assert a.dtype == b.dtype
        assert a.tobytes() == b.tobytes(), name


def test_fast_paths_without_scale_inputs() -> None:
    empty = {"inputs": (), "columns": (), "log_inputs": (), "center": (), "spread": ()}
    f = make(5).model_copy(update={**empty, "coef": ((-6.0,),) * 5})
    X, close, ts = rows(3), np.array([1.0, 2.0, 3.0]), np.arange(3, dtype=np.int64)
    slow, fast = price_paths(f, X, close, ts, 1), fast_price_paths(f, X, close, ts, 1)
    assert all(getattr(slow, k).tobytes() == getattr(fast, k).tobytes() for k in FIELDS)


def test_forecasters_compare_and_hash_by_their_fields_after_use() -> None:
    f, g = make(12), make(12)
    fast_price_paths(f, rows(1), np.array([1.0]), np.array([0]), 1)  # the plan's arrays are in use
    assert f == g
    assert hash(f) == hash(g)
    assert f != make(12, seed=5)
    assert f.model_copy() == f


def test_model_copy_with_an_update_rebuilds_the_plan() -> None:
    f = make(12)
    wider = f.model_copy(update={"band": (0.05, 0.95)})
    assert wider.served_index.tolist() == [4, 49, 94]
    assert f.served_index.tolist() == [9, 49, 89]
    with pytest.raises(ValueError, match="band"):
        f.model_copy(update={"band": (0.6, 0.9)})
