"""Calibrators: a monotone map from a booster's raw P(up) to a probability the holdout supports.

Fitted by the trainer on out-of-fold predictions (never on the holdout), saved as JSON beside
the booster and applied by the predictor. `shrink` pulls the result toward the training base
rate, so a model with no skill publishes the base rate instead of confident noise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from candlecast.shared.core.arrays import F64

CalibrationMethod = Literal["identity", "isotonic", "sigmoid"]
P_FLOOR = 1e-6


class Calibrator(BaseModel):
    """`apply(p) = (1 - shrink) * f(p) + shrink * base_rate`, f by `method`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: CalibrationMethod = "identity"
    x: tuple[float, ...] = Field(default=(), description="Isotonic: raw P(up) knots, increasing")
    y: tuple[float, ...] = Field(default=(), description="Isotonic: calibrated value at each knot")
    a: float = Field(default=1.0, description="Sigmoid: slope on logit(p)")
    b: float = Field(default=0.0, description="Sigmoid: intercept")
    shrink: float = Field(default=0.0, ge=0.0, le=1.0, description="Weight of the base rate")
    base_rate: float = Field(default=0.5, ge=0.0, le=1.0, description="Training share of up labels")

    @model_validator(mode="after")
    def _knots(self) -> Calibrator:
        if self.method != "isotonic":
            return self
        xs, ys = np.asarray(self.x), np.asarray(self.y)
        if xs.shape[0] == 0 or xs.shape != ys.shape:
            raise ValueError("isotonic needs as many knots x as values y, at least one")
        if np.any(np.diff(xs) <= 0) or np.any(np.diff(ys) < 0):
            raise ValueError("isotonic knots must increase and values must not decrease")
        if ys.min() < 0.0 or ys.max() > 1.0:
            raise ValueError("isotonic values must lie in [0, 1]")
        return self

    def apply(self, p: F64) -> F64:
        """Calibrated P(up) for raw P(up), elementwise, kept inside [P_FLOOR, 1 - P_FLOOR]."""
        q = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
        if self.method == "isotonic":
            q = np.interp(q, self.x, self.y)
        elif self.method == "sigmoid":
            z = np.log(np.clip(q, P_FLOOR, 1.0 - P_FLOOR))
            z -= np.log1p(-np.clip(q, P_FLOOR, 1.0 - P_FLOOR))
            q = 1.0 / (1.0 + np.exp(-(self.a * z + self.b)))
        q = (1.0 - self.shrink) * q + self.shrink * self.base_rate
        return np.clip(q, P_FLOOR, 1.0 - P_FLOOR)


IDENTITY = Calibrator()
