"""Model fixtures for tests: feature-set ids, a v2 card builder, a tiny real booster and a fake one."""

from __future__ import annotations

from collections.abc import Sequence

import lightgbm
import numpy as np

from candlecast.shared.core import card_sections as cs
from candlecast.shared.core.arrays import F64
from candlecast.shared.core.cards import CardDraft
from candlecast.shared.core.messages import FeatureSetId, ModelMetrics
from candlecast.shared.core.model import UpModel

FS = FeatureSetId(name="t", version=1, hash="a" * 16)
OTHER = FeatureSetId(name="t", version=2, hash="b" * 16)
METRICS = ModelMetrics(
    log_loss=0.6925,
    brier=0.2496,
    auc=0.523,
    ece=0.008,
    baseline_log_loss=0.6931,
    baseline_brier=0.2499,
    n_train=80_000,
    n_holdout=20_000,
)
DAY_MS = 86_400_000


class FakeBooster:
    """Hand-written stand-in for a LightGBM booster: P(up) = 0.5 + f1 - (the other features)."""

    def __init__(self, names: Sequence[str] = ("f1", "f2")) -> None:
        self.names = list(names)
        self.calls: list[F64] = []
        self.threads: list[int] = []

    def feature_name(self) -> list[str]:
        return self.names

    def num_trees(self) -> int:
        return 100

    def predict(self, X: F64, num_threads: int = 0) -> F64:
        self.calls.append(X)
        self.threads.append(num_threads)
        out: F64 = 0.5 + X[:, 0] - X[:, 1:].sum(axis=1)
        return out


def tiny_booster(names: Sequence[str] = ("f1", "f2"), seed: int = 0, rounds: int = 5) -> lightgbm.Booster:
    """A real LightGBM booster fitted in milliseconds: up when the first feature (plus noise) > 0."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(400, len(names)))
    y = (X[:, 0] + rng.normal(scale=0.5, size=400) > 0).astype(np.float64)
    params = {"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5}
    data = lightgbm.Dataset(X, label=y, feature_name=list(names))
    return lightgbm.train(params, data, num_boost_round=rounds)


def score(value: float, base: float) -> cs.BaselineScores:
    """A baseline's scores next to the model's (log loss 0.6925, Brier 0.2496)."""
    return cs.BaselineScores(
        prob_up=base,
        accuracy=0.503,
        log_loss=value,
        brier=0.2499 if value < 1 else 0.497,
        log_loss_skill=1 - 0.6925 / value,
        brier_skill=1 - 0.2496 / (0.2499 if value < 1 else 0.497),
    )


def sections(model: UpModel, now: int, symbols: tuple[str, ...]) -> dict[str, object]:
    """The measured-looking part of a card: a weak but honest 1m model (AUC 0.523)."""
    start, holdout = now - 100 * DAY_MS, now - 20 * DAY_MS
    fold = cs.FoldScore(
        fold=0, train_rows=40_000, valid_rows=10_000, valid_start_ts=start + 50 * DAY_MS,
        valid_end_ts=start + 60 * DAY_MS, best_iteration=120, log_loss=0.6927, auc_roc=0.518,
        base_rate_log_loss=0.6931,
    )  # fmt: skip
    return {
        "train": cs.TrainInfo(
            snapshot_id=None,
            source="store",
            symbols=symbols,
            timeframe=model.timeframe,
            horizon=model.horizon,
            start_ts=start,
            end_ts=holdout - 60_000,
            holdout_start_ts=holdout,
            holdout_end_ts=now - 60_000,
            rows=80_000,
            holdout_rows=20_000,
            class_balance=0.503,
            seed=7,
        ),
        "leakage_checks": cs.LeakageChecks(
            label_span_ms=model.horizon * 60_000,
            embargo_ms=model.horizon * 60_000,
            holdout_fraction=0.2,
            n_splits=4,
            purge_guard_passed=True,
            holdout_unseen=True,
            label_columns_absent=True,
            feature_lookahead="features at t read bars <= t only",
        ),
        "feature_set": cs.FeatureSetInfo(
            id=model.feature_set, n_features=model.n_features, names=model.feature_names
        ),
        "metrics": cs.Metrics(
            accuracy=0.512,
            balanced_accuracy=0.511,
            precision=0.515,
            recall=0.55,
            f1=0.532,
            auc_roc=0.523,
            log_loss=0.6925,
            brier=0.2496,
            calibration_ece=0.008,
            rows=20_000,
        ),
        "baselines": cs.Baselines(majority=score(17.0, 1 - 1e-6), base_rate=score(0.6931, 0.503)),
        "folds": cs.Folds(
            n_splits=1,
            log_loss=cs.MeanStd(mean=0.6927, std=0.0),
            auc_roc=cs.MeanStd(mean=0.518, std=0.0),
            log_loss_skill=cs.MeanStd(mean=0.0006, std=0.0),
            folds=[fold],
        ),
        "calibration": cs.CalibrationInfo(
            method=model.calibrator.method,
            fitted_on="out-of-fold",
            rows=40_000,
            shrink=model.calibrator.shrink,
            ece_before=0.021,
            ece_after=0.008,
            log_loss_before=0.6934,
            log_loss_after=0.6925,
        ),
        "backtest": cs.Backtest(
            fee_bps=1.0,
            band=0.0,
            periods=4_000,
            trades=1_900,
            hit_rate=0.507,
            total_return=-0.031,
            sharpe=-0.4,
            max_drawdown=0.06,
            turnover=0.47,
            buy_and_hold=cs.BuyAndHold(total_return=0.02, sharpe=0.3, max_drawdown=0.09),
            method="non-overlapping h-bar holds from each holdout bar stepping by h",
        ),
        "latency_ms": cs.Latency(
            p50=0.21, p95=0.3, p99=0.45, samples=1_000, batch_rows=1, path="core.serving: triage + predict"
        ),
        "optuna": cs.OptunaInfo(
            trials=200,
            completed=140,
            pruned=60,
            best_trial=87,
            best_value=0.6927,
            duration_s=412.0,
            sampler="TPESampler",
            pruner="MedianPruner",
            seed=7,
            early_stopping_rounds=100,
        ),
        "gate": cs.GateInfo(
            decision="promoted",
            reason="beats the base rate by 0.0006 (margin 0.0001)",
            margin=0.0001,
            rows=20_000,
            start_ts=holdout,
            challenger_log_loss=0.6925,
            base_rate_log_loss=0.6931,
            champion_version=None,
            champion_log_loss=None,
        ),
    }


def card_draft(model: UpModel, now: int, symbols: tuple[str, ...] = ("AAA",)) -> CardDraft:
    """A v2 card that matches `model`, trained at `now`, with realistic minute-bar figures."""
    names = model.feature_names
    return CardDraft(
        created_at=now,
        hyperparameters={"objective": "binary", "learning_rate": 0.03, "num_leaves": 15},
        best_iteration=120,
        feature_importance=[cs.Importance(name=n, gain=100.0 / (i + 1)) for i, n in enumerate(names)],
        plots=["reliability.png", "importance.png", "optuna.png", "equity.png"],
        notes=["test card"],
        **sections(model, now, symbols),
    )
