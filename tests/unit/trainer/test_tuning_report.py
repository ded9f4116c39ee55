"""Per-fold scores by hand: the fold's base rate comes from its training rows, never its validation rows."""

import numpy as np
import pytest

from candlecast.shared.core.scoring import log_loss
from candlecast.trainer.folds import Fold
from candlecast.trainer.tuning_report import FoldRun, fold_scores

Y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
TS = np.arange(8, dtype=np.int64) * 60_000
P = np.array([0.4, 0.6, 0.3, 0.2])


def test_fold_scores_use_the_training_base_rate_and_average_the_skill() -> None:
    run = FoldRun(Fold(train=np.arange(3), valid=np.arange(4, 8)), best_iteration=9, p=P)
    folds = fold_scores(Y, TS, [run, run])
    score = folds.folds[1]
    valid = Y[4:]
    base = log_loss(valid, np.full(4, 1.0))  # the train rows are all up: base rate 1
    assert score.base_rate_log_loss == pytest.approx(base)
    assert score.base_rate_log_loss != pytest.approx(log_loss(valid, np.full(4, valid.mean())))
    assert score.log_loss == pytest.approx(log_loss(valid, P))
    assert (score.fold, score.train_rows, score.valid_rows, score.best_iteration) == (1, 3, 4, 9)
    assert (score.valid_start_ts, score.valid_end_ts) == (4 * 60_000, 7 * 60_000)
    assert folds.n_splits == 2
    assert folds.log_loss_skill.mean == pytest.approx(1.0 - score.log_loss / base)
    assert folds.log_loss_skill.std == pytest.approx(0.0)
