"""Several trainer runs tune one Optuna study through a journal on the real Redis."""

from __future__ import annotations

import numpy as np
import pytest
import redis

from candlecast.trainer.folds import walk_forward
from candlecast.trainer.settings import TrainerSettings
from candlecast.trainer.study import journal
from candlecast.trainer.tuning import TuneResult, tune

pytestmark = pytest.mark.redis

STEP = 60_000


def tune_on(url: str, trials: int) -> TuneResult:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3_000, 3))
    y = (0.5 * X[:, 0] + rng.normal(size=3_000) > 0).astype(np.float64)
    ts = np.arange(3_000, dtype=np.int64) * STEP
    folds = walk_forward(ts, 3, STEP, STEP)
    storage = journal(url, "candlecast:optuna:")
    return tune(
        X, y, folds, ts=ts, embargo_ms=STEP, feature_names=("a", "b", "c"), trials=trials, seed=3,
        early_stopping_rounds=20, max_rounds=200, n_jobs=1, storage=storage, study_name="shared",
    )  # fmt: skip


def test_a_second_run_continues_the_study_kept_on_redis(redis_url: str) -> None:
    first = tune_on(redis_url, trials=3)
    second = tune_on(redis_url, trials=5)  # another process could be this replica: only Redis is shared
    assert first.optuna.trials == 3
    assert second.optuna.trials == 5, "the second run finished the shared budget, not 5 more"
    assert second.optuna.storage == "JournalStorage"
    keys = redis.Redis.from_url(redis_url).keys("candlecast:optuna:*")
    assert keys, "the journal lives under the configured prefix"


def test_no_url_means_an_in_memory_study() -> None:
    assert journal("", "p:") is None
    assert journal(None, "p:") is None


def test_the_setting_reaches_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDLECAST_OPTUNA_STORAGE", "redis://127.0.0.1:6390/0")
    config = TrainerSettings().train_config()
    assert config.study_storage == "redis://127.0.0.1:6390/0"
    assert config.study_prefix.endswith("optuna:")
