"""The retrain pipeline end to end in memory: split, tune, refit, calibrate, card, gate wiring."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from candlecast.shared.core.artifact import check_matches
from candlecast.shared.core.cards import CardDraft, ModelCard
from candlecast.shared.core.features import CORE, SEED
from candlecast.trainer.card import Source
from candlecast.trainer.challenge import Champion, gate, shared_rows
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.evaluate import Context, finish
from candlecast.trainer.pipeline import Trained, train

N_BARS = 4_000
CONFIG = TrainConfig(trials=2, n_splits=3, n_jobs=1, latency_samples=50)


@pytest.fixture(scope="module")
def signal_series(make_walk):
    return [make_walk(s, N_BARS, seed=20 + i, momentum=0.3) for i, s in enumerate("AB")]


@pytest.fixture(scope="module")
def found(signal_series) -> Trained:
    return train(signal_series, SEED, 1, "5m", CONFIG)


@pytest.fixture(scope="module")
def no_edge(make_walk) -> Trained:
    series = [make_walk("AAA", N_BARS, seed=11), make_walk("BBB", N_BARS, seed=12)]
    return train(series, SEED, 1, "5m", CONFIG)


def card_of(trained: Trained, series, folder: Path, champion: Champion | None = None) -> CardDraft:
    context = Context(Source("file"), created_at=1, request_id="r")
    return finish(trained, series, CONFIG, champion, context, folder, time.perf_counter)


def as_champion(trained: Trained, draft: CardDraft, **train_update: int) -> Champion:
    card = ModelCard.model_validate({**draft.model_dump(), "version": "champ", "sha256": "0" * 64})
    card = card.model_copy(update={"train": card.train.model_copy(update=train_update)})
    return Champion(trained.model, card)


def test_the_holdout_is_the_newest_rows_and_nothing_before_it_reaches_into_it(found) -> None:
    ts = found.data.ts
    assert int(ts[found.pre].max()) < found.holdout_start_ts - found.embargo_ms
    assert ts[found.holdout].min() == found.holdout_start_ts
    assert found.holdout.shape[0] >= 0.19 * len(found.data)
    assert np.intersect1d(found.pre, found.holdout).shape[0] == 0
    assert found.calibrated_rows <= found.pre.shape[0]


def test_a_planted_signal_is_found_and_beats_the_base_rate(found, signal_series, tmp_path) -> None:
    draft = card_of(found, signal_series, tmp_path)
    assert draft.metrics.auc_roc is not None
    assert draft.metrics.auc_roc > 0.58
    assert draft.metrics.log_loss < draft.baselines.base_rate.log_loss - 0.005
    assert draft.gate.decision == "promoted"
    assert "no champion" in draft.gate.reason


def test_a_random_walk_is_rejected_and_publishes_about_the_base_rate(no_edge, tmp_path) -> None:
    draft = card_of(no_edge, [], tmp_path)
    assert draft.gate.decision == "rejected"
    assert draft.metrics.auc_roc is None or abs(draft.metrics.auc_roc - 0.5) < 0.05
    assert np.abs(no_edge.p - no_edge.base_rate).max() < 0.05, "no confident noise"


def test_the_card_describes_the_run(found, signal_series, tmp_path) -> None:
    draft = card_of(found, signal_series, tmp_path)
    check_matches(found.model, draft)  # the registry's own check: calibrator shrink and method copied
    assert draft.calibration.shrink == found.model.calibrator.shrink
    assert sorted(draft.plots) == sorted(p.name for p in tmp_path.glob("*.png"))
    assert len(draft.plots) == 6  # four for P(up), the forecaster's fan chart and coverage by step
    forecast = draft.forecast
    assert forecast is not None
    assert [r.step for r in forecast.per_step] == list(range(1, 13))
    assert set(forecast.per_step[0].coverage) == {"0.5", "0.8", "0.9"}
    assert forecast.fit_rows > 0
    assert forecast.calibration_rows > 0
    assert draft.hyperparameters == dict(found.tuned.params)
    assert draft.best_iteration == found.tuned.best_iteration
    assert draft.optuna.trials == CONFIG.trials
    assert draft.train.rows == found.pre.shape[0]
    assert draft.train.holdout_start_ts == found.holdout_start_ts
    checks = draft.leakage_checks
    assert (checks.holdout_unseen, checks.purge_guard_passed, checks.embargo_ms) == (True, True, 300_000)
    gains = [i.gain for i in draft.feature_importance]
    assert gains == sorted(gains, reverse=True)
    assert draft.latency_ms.samples == CONFIG.latency_samples
    assert draft.latency_ms.p50 > 0
    assert draft.backtest.periods > 0


def test_the_champion_is_scored_only_on_rows_it_never_trained_on(found, signal_series, tmp_path) -> None:
    draft = card_of(found, signal_series, tmp_path)
    late = int(np.quantile(found.data.ts[found.holdout], 0.5))
    champion = as_champion(found, draft, end_ts=late)
    rows = shared_rows(found, champion.card)
    assert found.data.ts[rows].min() > late + found.embargo_ms
    info = gate(found, signal_series, champion, 1e-4, force=False)
    assert (info.rows, info.start_ts) == (rows.shape[0], int(found.data.ts[rows].min()))
    assert info.decision == "rejected", "the same model cannot beat itself"
    assert info.champion_log_loss == pytest.approx(info.challenger_log_loss)
    assert gate(found, signal_series, champion, 1e-4, force=True).decision == "forced"


def test_a_champion_that_saw_every_holdout_row_blocks_promotion(found, signal_series, tmp_path) -> None:
    end = int(found.data.ts.max())
    champion = as_champion(found, card_of(found, signal_series, tmp_path), end_ts=end)
    info = gate(found, signal_series, champion, 1e-4, force=False)
    assert (info.decision, info.rows) == ("rejected", 0)
    assert "cannot be compared" in info.reason


def test_a_champion_of_another_horizon_leaves_the_base_rate_as_bar(found, signal_series, tmp_path) -> None:
    other = train(signal_series, SEED, 3, "5m", CONFIG)
    champion = as_champion(other, card_of(other, signal_series, tmp_path))
    info = gate(found, signal_series, champion, 1e-4, force=False)
    assert info.champion_version is None
    assert "base rate only" in info.reason
    assert info.decision == "promoted"


def test_a_champion_of_another_feature_set_is_fed_its_own_features(found, signal_series, tmp_path) -> None:
    other = train(signal_series, CORE, 1, "5m", CONFIG)
    draft = card_of(other, signal_series, tmp_path)
    champion = as_champion(other, draft, end_ts=found.holdout_start_ts - 1)
    info = gate(found, signal_series, champion, 1e-4, force=False)
    assert info.champion_version == "champ"
    assert info.champion_log_loss is not None
    assert info.rows > 0.9 * found.holdout.shape[0]
