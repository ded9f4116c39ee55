"""Optuna over purged walk-forward folds: seeded TPE, a median pruner, early stopping.

Each fold's LightGBM Datasets are built once, with fixed binning, and reused by every trial.
A trial reports its running mean validation log loss after each fold, so the pruner can stop
it early. The holdout never reaches this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import lightgbm
import numpy as np
import optuna

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.card_sections import Folds, OptunaInfo
from candlecast.trainer.folds import Fold, assert_purged
from candlecast.trainer.space import DATASET_PARAMS, Params, base_params, imbalance_params, suggest
from candlecast.trainer.tuning_report import FoldRun, fold_scores, optuna_info

Progress = Callable[[int, int, float | None], None]
UNSEEN_FOLDS = 1  # the newest fold: scored by no trial, its predictions fit the calibrator
MAX_ROUNDS = 1_000  # per fold; early stopping usually ends far sooner


@dataclass(frozen=True, slots=True)
class TrialPoint:
    number: int
    value: float | None
    state: str


@dataclass(frozen=True, slots=True)
class TuneResult:
    """Best parameters (complete, for `refit`), rounds, and honest out-of-fold raw P(up).

    `oof_raw` holds the best parameters' predictions on the unseen folds' validation rows, which
    no trial was scored on (so choosing among trials did not tune to them); NaN elsewhere.
    """

    params: Params
    best_iteration: int
    oof_raw: F64
    folds: Folds
    optuna: OptunaInfo
    history: list[TrialPoint]


@dataclass(frozen=True, slots=True)
class _FoldData:
    fold: Fold
    train: lightgbm.Dataset
    valid: lightgbm.Dataset


def build_fold_data(X: F64, y: F64, folds: Sequence[Fold], feature_names: Sequence[str]) -> list[_FoldData]:
    """Binned Datasets for each fold, constructed now so trials only train."""
    out = []
    for fold in folds:
        train = lightgbm.Dataset(
            X[fold.train], label=y[fold.train], feature_name=list(feature_names), params=dict(DATASET_PARAMS)
        ).construct()
        valid = lightgbm.Dataset(
            X[fold.valid], label=y[fold.valid], reference=train, params=dict(DATASET_PARAMS)
        ).construct()
        out.append(_FoldData(fold, train, valid))
    return out


def train_fold(
    data: _FoldData, params: Params, early_stopping_rounds: int, max_rounds: int
) -> lightgbm.Booster:
    return lightgbm.train(
        dict(params),
        data.train,
        num_boost_round=max_rounds,
        valid_sets=[data.valid],
        valid_names=["valid"],
        callbacks=[lightgbm.early_stopping(early_stopping_rounds, first_metric_only=True, verbose=False)],
    )


def _objective(
    fold_data: list[_FoldData], fixed: Params, early_stopping_rounds: int, max_rounds: int
) -> Callable[[optuna.Trial], float]:
    def objective(trial: optuna.Trial) -> float:
        params = {**fixed, **suggest(trial)}
        losses: list[float] = []
        for k, data in enumerate(fold_data):
            booster = train_fold(data, params, early_stopping_rounds, max_rounds)
            losses.append(float(booster.best_score["valid"]["binary_logloss"]))
            trial.set_user_attr(f"best_iteration_{k}", int(booster.best_iteration))
            trial.report(float(np.mean(losses)), step=k)
            if trial.should_prune():
                raise optuna.TrialPruned
        return float(np.mean(losses))

    return objective


def _progress_callback(
    progress: Progress | None, trials: int
) -> Callable[[optuna.Study, optuna.trial.FrozenTrial], None]:
    def callback(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if progress is None:
            return
        done = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE]
        best = min(t.value for t in done if t.value is not None) if done else None
        progress(min(trial.number + 1, trials), trials, best)

    return callback


def _study(storage: optuna.storages.BaseStorage | None, name: str | None, seed: int) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(
        storage=storage,
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0),
        study_name=name,
        direction="minimize",
        load_if_exists=storage is not None,
    )


def tune(
    X: F64,
    y: F64,
    folds: Sequence[Fold],
    *,
    ts: I64,
    embargo_ms: int,
    feature_names: Sequence[str],
    trials: int = 200,
    timeout_s: float | None = None,
    seed: int = 0,
    early_stopping_rounds: int = 100,
    max_rounds: int = MAX_ROUNDS,
    n_jobs: int = 2,
    progress: Progress | None = None,
    storage: optuna.storages.BaseStorage | None = None,
    study_name: str | None = None,
    unseen_folds: int = UNSEEN_FOLDS,
) -> TuneResult:
    """Search on all folds but the last `unseen_folds`; rerun the best with fixed rounds on every fold."""
    assert_purged(ts, list(folds), embargo_ms)
    if not 0 <= unseen_folds < len(folds):
        raise ValueError(
            f"unseen_folds must leave at least one fold to tune on: {unseen_folds} of {len(folds)}"
        )
    started = time.monotonic()
    tune_rows = np.unique(np.concatenate([f.train for f in folds]))
    fixed = {**base_params(seed, n_jobs), **imbalance_params(float(np.mean(y[tune_rows])))}
    fold_data = build_fold_data(X, y, folds, feature_names)
    study = _study(storage, study_name, seed)
    callbacks = [_progress_callback(progress, trials)]
    if storage is not None:  # replicas share one budget of finished trials
        states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
        callbacks.insert(0, optuna.study.MaxTrialsCallback(trials, states=states))
    tuned = len(folds) - unseen_folds
    objective = _objective(fold_data[:tuned], fixed, early_stopping_rounds, max_rounds)
    study.optimize(objective, n_trials=trials, timeout=timeout_s, callbacks=callbacks)
    best = study.best_trial
    stops = [int(best.user_attrs[f"best_iteration_{k}"]) for k in range(tuned)]
    rounds = max(1, round(float(np.mean(stops))))
    stops += [rounds] * unseen_folds
    params = {**fixed, **best.params}
    runs = [rerun_fold(X, data, params, rounds, stop) for data, stop in zip(fold_data, stops, strict=True)]
    oof = np.full(X.shape[0], np.nan)
    for run in runs[tuned:]:
        oof[run.fold.valid] = run.p
    return _result(y, ts, params, rounds, runs, oof, study, storage, started, seed, early_stopping_rounds)


def rerun_fold(X: F64, data: _FoldData, params: Params, rounds: int, stopped_at: int) -> FoldRun:
    """The final fit's recipe on one fold: fixed `rounds`, no early stopping on the rows it predicts.

    Early stopping picked its round on these very rows; fixed rounds keep the out-of-fold
    predictions that calibration sees as honest as the refit on all rows.
    """
    booster = lightgbm.train(dict(params), data.train, num_boost_round=rounds)
    p = np.asarray(booster.predict(X[data.fold.valid]), dtype=np.float64)
    return FoldRun(fold=data.fold, best_iteration=stopped_at, p=p)


def _result(
    y: F64,
    ts: I64,
    params: Params,
    rounds: int,
    runs: list[FoldRun],
    oof: F64,
    study: optuna.Study,
    storage: optuna.storages.BaseStorage | None,
    started: float,
    seed: int,
    early_stopping_rounds: int,
) -> TuneResult:
    history = [TrialPoint(t.number, t.value, t.state.name) for t in study.get_trials(deepcopy=False)]
    return TuneResult(
        params=params,
        best_iteration=rounds,
        oof_raw=oof,
        folds=fold_scores(y, ts, runs),
        optuna=optuna_info(study, storage, time.monotonic() - started, seed, early_stopping_rounds),
        history=history,
    )


def refit(X: F64, y: F64, feature_names: Sequence[str], params: Params, rounds: int) -> lightgbm.Booster:
    """The final booster on every given row (all rows before the holdout) with the tuned settings."""
    data = lightgbm.Dataset(X, label=y, feature_name=list(feature_names), params=dict(DATASET_PARAMS))
    return lightgbm.train(dict(params), data, num_boost_round=rounds)
