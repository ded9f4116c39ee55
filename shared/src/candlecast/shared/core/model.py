"""The served model: a LightGBM booster plus what it needs to be fed correctly.

Importing this module needs neither lightgbm nor optuna; unpickling a model needs lightgbm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import lightgbm

    from candlecast.shared.core.arrays import F64
    from candlecast.shared.core.messages import FeatureSetId


@dataclass(frozen=True, slots=True)
class UpModel:
    """P(close[t + horizon] > close[t]) from one feature row per bar."""

    booster: lightgbm.Booster
    feature_names: tuple[str, ...]
    feature_set: FeatureSetId
    horizon: int
    timeframe: str

    def __post_init__(self) -> None:
        booster_names = tuple(self.booster.feature_name())
        if booster_names != self.feature_names:
            raise ValueError(f"booster features {booster_names} != {self.feature_names}")
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {self.horizon}")

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def predict_proba(self, X: F64) -> F64:
        """P(up) per row of an (n, k) matrix whose columns follow `feature_names`."""
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected shape (n, {self.n_features}), got {X.shape}")
        if X.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        raw = np.asarray(self.booster.predict(X), dtype=np.float64)
        return np.clip(raw, 0.0, 1.0)
