"""The served model: a LightGBM booster, its calibrator and what it needs to be fed correctly.

Importing this module needs neither lightgbm nor optuna. `core.artifact` turns a model into
files (booster text + JSON manifest) and back, without pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from candlecast.shared.core.calibration import IDENTITY, Calibrator

if TYPE_CHECKING:
    import lightgbm

    from candlecast.shared.core.arrays import F64
    from candlecast.shared.core.forecast import Forecaster
    from candlecast.shared.core.messages import FeatureSetId

# Rows x trees up to which one thread predicts: below it, waking LightGBM's thread pool costs more
# than it saves. On a busy 2-core box the pool stalled ~8 ms per 256-row call of a 21-tree model
# (31 us/row vs 0.9 with one thread, bench/predictor.py); 100k tree-rows is ~4 ms on one thread.
SERIAL_WORK = 100_000


@dataclass(frozen=True, slots=True)
class UpModel:
    """P(close[t + horizon] > close[t]) from one feature row per bar."""

    booster: lightgbm.Booster
    feature_names: tuple[str, ...]
    feature_set: FeatureSetId
    horizon: int
    timeframe: str
    calibrator: Calibrator = IDENTITY
    forecaster: Forecaster | None = None  # the path forecaster fitted with it, if any

    def __post_init__(self) -> None:
        booster_names = tuple(self.booster.feature_name())
        if booster_names != self.feature_names:
            raise ValueError(f"booster features {booster_names} != {self.feature_names}")
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {self.horizon}")
        f = self.forecaster
        if f is not None and any(
            self.feature_names[c] != n for c, n in zip(f.columns, f.inputs, strict=True)
        ):
            raise ValueError(f"forecaster inputs {f.inputs} are not at its columns of {self.feature_names}")

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def raw_proba(self, X: F64) -> F64:
        """The booster's own P(up) per row of an (n, k) matrix in `feature_names` order."""
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected shape (n, {self.n_features}), got {X.shape}")
        if X.shape[0] == 0:
            return np.empty(0, dtype=np.float64)
        threads = 1 if X.shape[0] * self.booster.num_trees() <= SERIAL_WORK else 0  # 0: LightGBM's default
        raw = np.asarray(self.booster.predict(X, num_threads=threads), dtype=np.float64)
        return np.clip(raw, 0.0, 1.0)

    def predict_proba(self, X: F64) -> F64:
        """Calibrated P(up) per row: what the predictor publishes."""
        raw = self.raw_proba(X)
        return raw if raw.shape[0] == 0 else self.calibrator.apply(raw)
