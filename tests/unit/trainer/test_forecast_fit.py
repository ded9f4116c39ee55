"""The forecaster's rows: no path reaches the holdout; the table's rows follow the fit rows after a gap."""

import numpy as np
import pytest

from candlecast.shared.core.features import DEFAULT
from candlecast.trainer.dataset import build_dataset
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.forecast_fit import fit_forecaster, split_parts

STEP_MS = 300_000


def test_fit_paths_end_before_the_calibration_rows_start() -> None:
    config = ForecastConfig(steps=12, calibration_fraction=0.3)
    ts = np.repeat(np.arange(1_000, dtype=np.int64) * STEP_MS, 2)  # two symbols per timestamp
    fit, cal, start = split_parts(ts, config, STEP_MS)
    assert ts[cal].min() == start
    assert not np.any(fit & cal)
    assert ts[fit].max() + config.steps * STEP_MS < start  # a fit row's path ends before the table's rows
    assert ts[fit].max() == start - (config.steps + 1) * STEP_MS  # and no more rows are dropped than that
    assert cal.sum() == pytest.approx(0.3 * ts.shape[0], abs=2)


def test_too_few_rows_for_either_part_is_refused() -> None:
    with pytest.raises(ValueError, match="too few rows"):
        split_parts(np.arange(100, dtype=np.int64) * STEP_MS, ForecastConfig(steps=12), STEP_MS)


def test_pre_holdout_rows_whose_path_reaches_the_holdout_are_left_out(make_walk) -> None:
    series = [make_walk("AAA", 2_000, seed=1), make_walk("BBB", 2_000, seed=2)]
    data = build_dataset(series, DEFAULT, horizon=1)
    config = ForecastConfig(steps=6, hist_vol_window=20)
    holdout_start = int(np.unique(data.ts)[-400])
    pre = np.flatnonzero(data.ts < holdout_start)
    clear = pre[data.ts[pre] + config.steps * STEP_MS < holdout_start]
    assert clear.shape[0] < pre.shape[0]
    given_pre = fit_forecaster(data, series, pre, holdout_start, config, STEP_MS)
    given_clear = fit_forecaster(data, series, clear, holdout_start, config, STEP_MS)
    assert given_pre == given_clear
