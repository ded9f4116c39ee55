"""The path forecaster: coherent at every step and level, bands widen, JSON round trip, 300 steps."""

import numpy as np
import pytest

from candlecast.shared.core.forecast import GRID, Forecaster, coherent_table, price_paths, quantile_paths
from candlecast.shared.core.forecast.model import CLOSE, HIGH, LOW, OPEN


def make(steps: int, seed: int = 0) -> Forecaster:
    rng = np.random.default_rng(seed)
    raw = np.sort(rng.normal(0.0, 1.0, (steps, 4, len(GRID))), axis=2) * rng.uniform(0.5, 1.5, (steps, 4, 1))
    coef = np.c_[np.log(np.sqrt(np.arange(1, steps + 1))) - 6.0, rng.normal(0, 0.3, (steps, 2))]
    return Forecaster(
        steps=steps, inputs=("rvol_20", "tod_sin"), columns=(1, 0), log_inputs=(True, False),
        center=(-6.0, 0.0), spread=(1.0, 0.7), coef=tuple(map(tuple, coef.tolist())), levels=GRID,
        table=coherent_table(raw).tolist(), band=(0.1, 0.9),
    )  # fmt: skip


def rows(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out: np.ndarray = np.c_[rng.uniform(-1, 1, n), rng.lognormal(-6, 1, n)]
    return out


@pytest.mark.parametrize("steps", [1, 12, 300])
def test_every_step_and_level_is_coherent_ordered_and_outward(steps) -> None:
    f = make(steps)
    q = quantile_paths(f, rows(64), np.arange(len(GRID)))
    assert q.shape == (64, steps, 4, len(GRID))
    assert (q[:, :, LOW] <= np.minimum(q[:, :, OPEN], q[:, :, CLOSE]) + 1e-15).all()
    assert (np.maximum(q[:, :, OPEN], q[:, :, CLOSE]) <= q[:, :, HIGH] + 1e-15).all()
    assert (np.diff(q, axis=3) >= -1e-15).all(), "quantiles ordered"
    upper, lower = q[..., np.asarray(GRID) > 0.5], q[..., np.asarray(GRID) < 0.5]
    assert (np.diff(upper, axis=1) >= 0).all(), "upper edges never come down"
    assert (np.diff(lower, axis=1) <= 0).all(), "lower edges never go up"


def test_the_table_itself_must_be_coherent() -> None:
    f = make(3)
    bad = f.table_array.copy()
    bad[0, LOW, 50] = bad[0, HIGH, 50] + 1.0
    with pytest.raises(ValueError, match="coherent"):
        Forecaster.model_validate({**f.model_dump(), "table": bad.tolist()})


def test_json_round_trip_gives_the_same_paths() -> None:
    f = make(12)
    back = Forecaster.model_validate_json(f.model_dump_json())
    X = rows(10)
    assert np.array_equal(quantile_paths(f, X, f.served_index), quantile_paths(back, X, back.served_index))


def test_price_paths_are_one_bar_apart_after_the_row_and_around_the_median() -> None:
    f = make(300)
    close, ts = np.array([100.0, 2.0]), np.array([1_000, 7_000], dtype=np.int64)
    paths = price_paths(f, rows(2), close, ts, 300_000)
    assert paths.ts.shape == (2, 300)
    assert paths.median.shape == (2, 300, 4)
    assert (paths.ts[:, 0] == ts + 300_000).all()
    assert (np.diff(paths.ts, axis=1) == 300_000).all()
    assert (paths.lower <= paths.median).all()
    assert (paths.median <= paths.upper).all()
    assert abs(paths.median[0, 0, CLOSE] / 100.0 - 1) < 0.05
