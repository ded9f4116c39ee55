from typing import Any

import numpy as np
import optuna
import pytest

from candlecast.shared.core.scoring import roc_auc
from candlecast.trainer.folds import Fold, LeakageError, walk_forward
from candlecast.trainer.space import DATASET_PARAMS, imbalance_params, suggest
from candlecast.trainer.tuning import TuneResult, refit, tune

STEP = 60_000
NAMES = ("signal", "noise_a", "noise_b")


def data(n: int, seed: int, strength: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (strength * X[:, 0] + rng.normal(size=n) > 0).astype(np.float64)
    ts = np.arange(n, dtype=np.int64) * STEP
    return X, y, ts


def run(
    X: np.ndarray, y: np.ndarray, ts: np.ndarray, trials: int = 6, **kw: Any
) -> tuple[TuneResult, list[Fold]]:
    folds = walk_forward(ts, 3, STEP, STEP)
    kw = {"early_stopping_rounds": 20, "max_rounds": 200, "n_jobs": 1, **kw}
    return tune(X, y, folds, ts=ts, embargo_ms=STEP, feature_names=NAMES, trials=trials, seed=3, **kw), folds


def test_tuning_finds_a_signal_and_reports_the_best_trial():
    X, y, ts = data(6_000, 1, strength=0.8)
    seen = []
    result, folds = run(X, y, ts, progress=lambda i, n, best: seen.append((i, n, best)))
    valid = folds[-1].valid  # the unseen fold only: no trial was scored on it
    assert np.isfinite(result.oof_raw[valid]).all()
    assert np.isnan(np.delete(result.oof_raw, valid)).all()
    assert roc_auc(y[valid], result.oof_raw[valid]) > 0.65
    assert [s[:2] for s in seen] == [(i, 6) for i in range(1, 7)]
    assert seen[-1][2] == pytest.approx(result.optuna.best_value)
    assert result.optuna.trials == 6
    assert result.optuna.completed + result.optuna.pruned == 6
    assert result.folds.n_splits == 3
    assert result.folds.log_loss.mean == pytest.approx(result.optuna.best_value, abs=0.01)
    assert result.folds.log_loss_skill.mean > 0.05
    stops = [f.best_iteration for f in result.folds.folds]
    assert result.best_iteration == round(np.mean(stops[:2]))  # the tuned folds' early stops
    assert stops[2] == result.best_iteration  # the unseen fold ran the refit's fixed rounds
    assert [p.number for p in result.history] == list(range(6))
    assert set(suggest(optuna.trial.FixedTrial(result.params))) <= set(result.params)
    booster = refit(X, y, NAMES, result.params, result.best_iteration)
    assert booster.num_trees() == result.best_iteration
    assert booster.feature_importance("gain").argmax() == 0


def test_same_seed_same_study():
    X, y, ts = data(3_000, 2, strength=0.5)
    a, _ = run(X, y, ts, trials=4)
    b, _ = run(X, y, ts, trials=4)
    assert a.params == b.params
    np.testing.assert_array_equal(a.oof_raw, b.oof_raw)


def test_early_stopping_on_noise_stops_early():
    X, y, ts = data(3_000, 4, strength=0.0)
    result, _ = run(X, y, ts, trials=3, early_stopping_rounds=10, max_rounds=300)
    assert all(f.best_iteration < 290 for f in result.folds.folds)


def test_shared_storage_runs_one_budget_of_trials():
    X, y, ts = data(3_000, 5, strength=0.5)
    storage = optuna.storages.InMemoryStorage()
    run(X, y, ts, trials=3, storage=storage, study_name="s")
    second, _ = run(X, y, ts, trials=5, storage=storage, study_name="s")
    assert second.optuna.trials == 5  # continued the first replica's study up to the shared budget
    assert second.optuna.storage == "InMemoryStorage"
    scored = {key for t in storage.get_all_trials(0) for key in t.user_attrs}
    assert scored == {"best_iteration_0", "best_iteration_1"}  # fold 2 of 3 stayed unseen


def test_at_least_one_fold_is_tuned_on():
    X, y, ts = data(1_000, 7, strength=0.5)
    folds = walk_forward(ts, 2, STEP, STEP)
    with pytest.raises(ValueError, match="unseen_folds"):
        tune(X, y, folds, ts=ts, embargo_ms=STEP, feature_names=NAMES, trials=1, unseen_folds=2)


def test_leaky_folds_are_refused():
    X, y, ts = data(1_000, 6, strength=0.5)
    leaky = [Fold(train=np.arange(0, 600), valid=np.arange(590, 1_000))]
    with pytest.raises(LeakageError):
        tune(X, y, leaky, ts=ts, embargo_ms=STEP, feature_names=NAMES, trials=1)


def test_imbalance_only_when_skewed_and_binning_fixed():
    assert imbalance_params(0.5) == {}
    assert imbalance_params(0.45) == {}
    assert imbalance_params(0.2) == {"scale_pos_weight": pytest.approx(4.0)}
    with pytest.raises(ValueError):
        imbalance_params(0.0)
    assert DATASET_PARAMS["feature_pre_filter"] is False
    assert "max_bin" in DATASET_PARAMS
