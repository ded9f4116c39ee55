"""Honesty, offline: a random walk shows no edge and is rejected; a planted signal is found.

The bars come from the ingest service's seeded SyntheticMarket (the demo's market), so these
check the whole `train_offline` path: holdout, purged folds, tuning, calibration, card and gate.
Sizes: 2 symbols x 25,000 1m bars -> a 10,000-row holdout, where the AUC's standard error is
about 0.006, so 0.5 +- 0.03 is ~5 standard errors wide. Measured over data seeds 1-5 (5 trials):
random walk AUC 0.499-0.511, all rejected; signal 0.3 AUC 0.546-0.561, all promoted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.constants import CARD_FILE
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.offline import train_offline

pytestmark = pytest.mark.slow

BARS = 25_000
START = 1_735_689_600_000
CONFIG = TrainConfig(trials=5, n_splits=3, n_jobs=1, latency_samples=50, seed=3)
SIGNAL = 0.3  # the demo's planted momentum


def offline_card(signal: float, seed: int, out: Path) -> ModelCard:
    series = synthetic_bars(["AAA", "BBB"], "1m", START, BARS, seed, signal=signal)
    card, folder = train_offline(series, horizon=1, timeframe="1m", out=out, config=CONFIG)
    assert ModelCard.model_validate_json((folder / CARD_FILE).read_text()) == card
    return card


def test_a_random_walk_shows_no_edge_and_the_gate_rejects_it(tmp_path) -> None:
    card = offline_card(0.0, seed=4, out=tmp_path)
    assert card.metrics.auc_roc is not None
    assert abs(card.metrics.auc_roc - 0.5) < 0.03
    assert card.gate.decision == "rejected"
    assert "does not beat the base rate" in card.gate.reason
    assert card.metrics.rows >= 9_000


def test_a_planted_signal_is_found_and_promoted_over_the_base_rate(tmp_path) -> None:
    card = offline_card(SIGNAL, seed=4, out=tmp_path)
    assert card.metrics.auc_roc is not None
    assert card.metrics.auc_roc > 0.525
    assert card.baselines.base_rate.log_loss_skill > 0
    assert card.gate.decision == "promoted"
    assert card.calibration.ece_after < 0.03
