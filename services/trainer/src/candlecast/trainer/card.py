"""Model card v2 from a training run: every section measured on the run's own rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.card_sections import (
    Backtest,
    CalibrationInfo,
    FeatureSetInfo,
    GateInfo,
    Importance,
    Latency,
    LeakageChecks,
    TrainInfo,
)
from candlecast.shared.core.cards import CardDraft
from candlecast.shared.core.scoring import baselines, ece, holdout_metrics, log_loss
from candlecast.trainer.backtest import backtest as sign_backtest
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.equity import equity_curve
from candlecast.trainer.pipeline import Trained
from candlecast.trainer.plots import EquityCurve

YEAR_MS = 365.25 * 86_400_000
LOOKAHEAD = "features at t are computed from bars <= t only (one engine, streamed and batch)"
FITTED_ON = "out-of-fold predictions of the best trial on the walk-forward validation blocks"


@dataclass(frozen=True, slots=True)
class Source:
    """Where the bars came from: the bar store, a snapshot (with its id) or a bar file."""

    kind: str
    snapshot_id: str | None = None


def train_info(trained: Trained, source: Source, seed: int) -> TrainInfo:
    data, pre, holdout = trained.data, trained.pre, trained.holdout
    return TrainInfo(
        snapshot_id=source.snapshot_id,
        source=source.kind,
        symbols=data.symbols,
        timeframe=trained.model.timeframe,
        horizon=trained.model.horizon,
        start_ts=int(data.ts[pre].min()),
        end_ts=int(data.ts[pre].max()),
        holdout_start_ts=trained.holdout_start_ts,
        holdout_end_ts=int(data.ts[holdout].max()),
        rows=int(pre.shape[0]),
        holdout_rows=int(holdout.shape[0]),
        class_balance=trained.base_rate,
        seed=seed,
    )


def leakage_checks(trained: Trained, config: TrainConfig) -> LeakageChecks:
    """Re-checked here from the rows themselves, not copied from the settings."""
    ts = trained.data.ts
    unseen = int(ts[trained.pre].max()) < trained.holdout_start_ts - trained.embargo_ms
    return LeakageChecks(
        label_span_ms=trained.label_span_ms,
        embargo_ms=trained.embargo_ms,
        holdout_fraction=config.holdout_fraction,
        n_splits=trained.tuned.folds.n_splits,
        purge_guard_passed=True,  # walk_forward and tune raise LeakageError otherwise
        holdout_unseen=unseen and not np.intersect1d(trained.pre, trained.holdout).shape[0],
        label_columns_absent=True,  # build_dataset raises otherwise
        feature_lookahead=LOOKAHEAD,
    )


def calibration_info(trained: Trained) -> CalibrationInfo:
    y, calibrator = trained.y_holdout, trained.model.calibrator
    return CalibrationInfo(
        method=calibrator.method,
        fitted_on=FITTED_ON,
        rows=trained.calibrated_rows,
        shrink=calibrator.shrink,
        ece_before=ece(y, trained.p_raw),
        ece_after=ece(y, trained.p),
        log_loss_before=log_loss(y, trained.p_raw),
        log_loss_after=log_loss(y, trained.p),
    )


def holdout_backtest(trained: Trained, config: TrainConfig) -> tuple[Backtest, EquityCurve]:
    """The cost-aware sign backtest of the calibrated P(up) on the holdout, and its equity curve."""
    data, rows = trained.data, trained.holdout
    args = (trained.p, data.ret[rows], data.ts[rows], data.symbol[rows])
    hold, fee, band = trained.label_span_ms, config.fee_bps, config.band
    summary = sign_backtest(*args, hold_ms=hold, fee_bps=fee, band=band, periods_per_year=YEAR_MS / hold)
    return summary, equity_curve(*args, hold_ms=hold, fee_bps=fee, band=band)


def importance(trained: Trained) -> list[Importance]:
    """Total gain per feature of the final booster, largest first."""
    gain = trained.model.booster.feature_importance(importance_type="gain")
    pairs = zip(trained.model.feature_names, np.asarray(gain, dtype=np.float64).tolist(), strict=True)
    return [Importance(name=n, gain=g) for n, g in sorted(pairs, key=lambda ng: -ng[1])]


def draft_card(
    trained: Trained,
    config: TrainConfig,
    *,
    source: Source,
    gate: GateInfo,
    backtest: Backtest,
    latency: Latency,
    plots: Sequence[str],
    created_at: int,
    request_id: str = "",
    notes: Sequence[str] = (),
) -> CardDraft:
    y, p, model = trained.y_holdout, trained.p, trained.model
    return CardDraft(
        created_at=created_at,
        request_id=request_id,
        train=train_info(trained, source, config.seed),
        leakage_checks=leakage_checks(trained, config),
        feature_set=FeatureSetInfo(
            id=model.feature_set, n_features=model.n_features, names=model.feature_names
        ),
        metrics=holdout_metrics(y, p),
        baselines=baselines(y, p, trained.base_rate),
        folds=trained.tuned.folds,
        calibration=calibration_info(trained),
        backtest=backtest,
        latency_ms=latency,
        hyperparameters=dict(trained.tuned.params),
        best_iteration=trained.tuned.best_iteration,
        optuna=trained.tuned.optuna,
        feature_importance=importance(trained),
        gate=gate,
        plots=list(plots),
        notes=list(notes),
    )
