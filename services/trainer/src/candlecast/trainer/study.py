"""Shared Optuna study storage: a journal on Redis, so several runs tune one study."""

from __future__ import annotations

import warnings

import optuna
from optuna.storages.journal import JournalRedisBackend


def journal(url: str | None, prefix: str) -> optuna.storages.BaseStorage | None:
    """Optuna's journal storage on the Redis at `url`, or None (an in-memory study)."""
    if not url:
        return None
    with warnings.catch_warnings():  # Optuna marks the Redis backend experimental
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.JournalStorage(JournalRedisBackend(url, prefix=prefix))
