"""The LightGBM search space, the fixed parameters beside it, and imbalance handling.

Binning (`DATASET_PARAMS`) is fixed: the Datasets are built once and reused by every trial,
so no trial may change a dataset parameter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from candlecast.shared.core.cards import ParamValue

if TYPE_CHECKING:
    import optuna

Params = dict[str, ParamValue]

DATASET_PARAMS: Params = {
    "max_bin": 63,
    "min_data_in_bin": 3,
    "bin_construct_sample_cnt": 200_000,
    "feature_pre_filter": False,  # lets min_data_in_leaf vary on a built Dataset
    "verbose": -1,
}
SKEW = 0.4  # reweight the classes only when the minority share is below this


def base_params(seed: int, n_jobs: int) -> Params:
    """Everything a trial does not search: objective, threads, determinism, seed."""
    return {
        "objective": "binary",
        "metric": "binary_logloss",
        "num_threads": n_jobs,
        "deterministic": True,
        "force_row_wise": True,
        "seed": seed,
        "verbose": -1,
    }


def suggest(trial: optuna.Trial) -> Params:
    """One point of the issue's search space."""
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 128, log=True),
        "max_depth": trial.suggest_int("max_depth", 2, 10),
        "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 50, 5_000, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.2, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.3, 1.0),
        "bagging_freq": trial.suggest_int("bagging_freq", 0, 5),
        "lambda_l1": trial.suggest_float("lambda_l1", 1e-8, 10.0, log=True),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True),
    }


def imbalance_params(positive_share: float) -> Params:
    """`scale_pos_weight` when the classes are skewed; nothing when they are roughly even."""
    if not 0.0 < positive_share < 1.0:
        raise ValueError(f"need both classes, positive share {positive_share}")
    if SKEW <= positive_share <= 1.0 - SKEW:
        return {}
    return {"scale_pos_weight": (1.0 - positive_share) / positive_share}
