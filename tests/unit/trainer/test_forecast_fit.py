"""The forecaster's own split: its quantile table is fitted on paths the scale lines never saw."""

import numpy as np
import pytest

from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.forecast_fit import split_parts

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
