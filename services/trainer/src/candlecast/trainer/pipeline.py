"""One training run as a pure function of the bars: split, tune, refit, calibrate, predict the holdout.

The newest `holdout_fraction` of timestamps is the final holdout. Tuning (purged walk-forward
folds), the final fit and the calibrator see only rows whose labels end before it (embargo >=
the label span). `card.py` turns the result into a model card; `challenge.py` gates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import F64, Index
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import FeatureSet
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.timeframes import timeframe_ms
from candlecast.trainer.calibrate import fit_calibrator
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.dataset import Dataset, build_dataset
from candlecast.trainer.folds import walk_forward
from candlecast.trainer.forecast_fit import ForecastFit, fit_forecaster
from candlecast.trainer.split import label_span_ms, time_split
from candlecast.trainer.study import journal
from candlecast.trainer.tuning import Progress, TuneResult, refit, tune


@dataclass(frozen=True, slots=True)
class Trained:
    """A fitted, calibrated model and everything its card and gate need."""

    data: Dataset
    pre: Index  # rows before the holdout and its embargo: tuning, final fit, calibration
    holdout: Index  # the newest rows, never seen by any of them
    label_span_ms: int
    embargo_ms: int
    model: UpModel
    tuned: TuneResult
    base_rate: float  # share of up labels in `pre`
    calibrated_rows: int  # out-of-fold rows the calibrator was fitted on
    p_raw: F64  # booster P(up) on the holdout
    p: F64  # calibrated P(up) on the holdout (what the predictor would publish)
    forecast: ForecastFit | None = None  # the path forecaster (also in model.forecaster)
    series: tuple[Bars, ...] = ()  # the bars trained on (the forecaster's paths are scored on them)

    @property
    def holdout_start_ts(self) -> int:
        return int(self.data.ts[self.holdout].min())

    @property
    def y_holdout(self) -> F64:
        return self.data.y[self.holdout]


def train(
    series: Sequence[Bars],
    feature_set: FeatureSet,
    horizon: int,
    timeframe: str,
    config: TrainConfig,
    progress: Progress | None = None,
) -> Trained:
    """Tune on walk-forward folds before the holdout, refit there, calibrate on out-of-fold rows."""
    wrong = [b.symbol for b in series if b.timeframe != timeframe]
    if wrong:
        raise ValueError(f"series not in timeframe {timeframe}: {wrong}")
    data = build_dataset(series, feature_set, horizon)
    span = label_span_ms(horizon, timeframe)
    split = time_split(data.ts, config.holdout_fraction, embargo_ms=span, label_span=span)
    X, y, ts = data.X[split.train], data.y[split.train], data.ts[split.train]
    folds = walk_forward(ts, config.n_splits, span, span, max_rows=config.tune_rows)
    tuned = tune(
        X, y, folds, ts=ts, embargo_ms=span, feature_names=data.feature_names, trials=config.trials,
        timeout_s=config.timeout_s, seed=config.seed, early_stopping_rounds=config.early_stopping_rounds,
        n_jobs=config.n_jobs, progress=progress, storage=journal(config.study_storage, config.study_prefix),
        study_name=config.study_name,
    )  # fmt: skip
    base_rate = float(np.mean(y))
    booster = refit(X, y, data.feature_names, tuned.params, tuned.best_iteration)
    raw_level = float(np.mean(booster.predict(X)))  # the booster's long-run level, paired with base_rate
    calibrator = fit_calibrator(tuned.oof_raw, y, config.calibration, base_rate, raw_level)
    forecast = None
    if config.forecast is not None:
        start = int(data.ts[split.holdout].min())
        forecast = fit_forecaster(data, series, split.train, start, config.forecast, timeframe_ms(timeframe))
    path = None if forecast is None else forecast.forecaster
    model = UpModel(booster, data.feature_names, feature_set.id, horizon, timeframe, calibrator, path)
    p_raw = model.raw_proba(data.X[split.holdout])
    return Trained(
        data=data,
        pre=split.train,
        holdout=split.holdout,
        label_span_ms=span,
        embargo_ms=span,
        model=model,
        tuned=tuned,
        base_rate=base_rate,
        calibrated_rows=int(np.isfinite(tuned.oof_raw).sum()),
        p_raw=p_raw,
        p=calibrator.apply(p_raw),
        forecast=forecast,
        series=tuple(series),
    )
