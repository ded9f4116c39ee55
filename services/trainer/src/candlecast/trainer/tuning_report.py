"""The card sections a tuning run fills: per-fold scores of the best trial and the study summary."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import optuna

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.card_sections import Folds, FoldScore, MeanStd, OptunaInfo
from candlecast.shared.core.scoring import log_loss, roc_auc
from candlecast.trainer.folds import Fold


@dataclass(frozen=True, slots=True)
class FoldRun:
    """The best parameters rerun on one fold: where early stopping stopped, and validation P(up)."""

    fold: Fold
    best_iteration: int
    p: F64


def _mean_std(values: list[float]) -> MeanStd:
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return MeanStd(mean=float("nan"), std=float("nan"))
    return MeanStd(mean=float(np.mean(finite)), std=float(np.std(finite)))


def fold_score(k: int, y: F64, ts: I64, run: FoldRun) -> FoldScore:
    y_valid = y[run.fold.valid]
    base = float(np.mean(y[run.fold.train]))
    auc = roc_auc(y_valid, run.p)
    return FoldScore(
        fold=k,
        train_rows=int(run.fold.train.shape[0]),
        valid_rows=int(run.fold.valid.shape[0]),
        valid_start_ts=int(ts[run.fold.valid].min()),
        valid_end_ts=int(ts[run.fold.valid].max()),
        best_iteration=run.best_iteration,
        log_loss=log_loss(y_valid, run.p),
        auc_roc=None if np.isnan(auc) else auc,
        base_rate_log_loss=log_loss(y_valid, np.full_like(y_valid, base)),
    )


def fold_scores(y: F64, ts: I64, runs: list[FoldRun]) -> Folds:
    scores = [fold_score(k, y, ts, run) for k, run in enumerate(runs)]
    return Folds(
        n_splits=len(scores),
        log_loss=_mean_std([s.log_loss for s in scores]),
        auc_roc=_mean_std([s.auc_roc if s.auc_roc is not None else float("nan") for s in scores]),
        log_loss_skill=_mean_std([1.0 - s.log_loss / s.base_rate_log_loss for s in scores]),
        folds=scores,
    )


def optuna_info(
    study: optuna.Study,
    storage: optuna.storages.BaseStorage | None,
    duration_s: float,
    seed: int,
    early_stopping_rounds: int,
) -> OptunaInfo:
    trials = study.get_trials(deepcopy=False)
    states = [t.state for t in trials]
    best = study.best_trial
    return OptunaInfo(
        trials=len(trials),
        completed=states.count(optuna.trial.TrialState.COMPLETE),
        pruned=states.count(optuna.trial.TrialState.PRUNED),
        best_trial=best.number,
        best_value=float(best.value) if best.value is not None else float("nan"),
        duration_s=duration_s,
        sampler=f"TPESampler(seed={seed})",
        pruner="MedianPruner(n_startup_trials=5, n_warmup_steps=0), reported after each fold",
        seed=seed,
        early_stopping_rounds=early_stopping_rounds,
        storage=None if storage is None else type(storage).__name__,
    )
