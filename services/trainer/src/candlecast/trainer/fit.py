"""LightGBM fits through `lightgbm.train`: fixed parameters now, tuned ones later."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import lightgbm

from candlecast.shared.core.cards import ParamValue

if TYPE_CHECKING:
    from candlecast.shared.core.arrays import F64

Params = Mapping[str, ParamValue]

FIXED_PARAMS: Params = {
    "objective": "binary",
    "num_iterations": 200,
    "num_leaves": 31,
    "learning_rate": 0.05,
    "min_data_in_leaf": 200,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "num_threads": 2,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}


def fit(X: F64, y: F64, feature_names: Sequence[str], params: Params) -> lightgbm.Booster:
    """One booster on all given rows; `params` must hold everything, including the seed."""
    dataset = lightgbm.Dataset(
        X, label=y, feature_name=list(feature_names), params={"verbose": -1}, free_raw_data=True
    )
    return lightgbm.train(dict(params), dataset)


def fixed_params(seed: int) -> dict[str, ParamValue]:
    return {**FIXED_PARAMS, "seed": seed}
