"""Calibrators: a monotone map from a booster's raw P(up) to a probability the holdout supports.

Fitted by the trainer on out-of-fold predictions (never on the holdout), saved as JSON beside
the booster and applied by the predictor. `shrink` pulls the result toward the training base
rate, so a model with no skill publishes the base rate instead of confident noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field, PrivateAttr, model_validator

from candlecast.shared.core.arrays import F64, Derived
from candlecast.shared.core.derived import DerivedModel

CalibrationMethod = Literal["identity", "isotonic", "sigmoid"]
P_FLOOR = 1e-6


@dataclass(frozen=True, slots=True, eq=False)
class Knots(Derived):
    """The isotonic knots as arrays, built once per calibrator (not on every `apply`)."""

    x: F64
    y: F64


class Calibrator(DerivedModel):
    """`apply(p) = (1 - shrink) * f(p) + shrink * base_rate`, f by `method`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: CalibrationMethod = "identity"
    x: tuple[float, ...] = Field(default=(), description="Isotonic: raw P(up) knots, increasing")
    y: tuple[float, ...] = Field(default=(), description="Isotonic: calibrated value at each knot")
    a: float = Field(default=1.0, description="Sigmoid: slope on logit(p)")
    b: float = Field(default=0.0, description="Sigmoid: intercept")
    shrink: float = Field(default=0.0, ge=0.0, le=1.0, description="Weight of the base rate")
    base_rate: float = Field(default=0.5, ge=0.0, le=1.0, description="Training share of up labels")
    _knots: Knots = PrivateAttr()

    @model_validator(mode="after")
    def _check_knots(self) -> Calibrator:
        xs, ys = np.asarray(self.x, dtype=np.float64), np.asarray(self.y, dtype=np.float64)
        self._knots = Knots(xs, ys)
        if self.method != "isotonic":
            return self
        if xs.shape[0] == 0 or xs.shape != ys.shape:
            raise ValueError("isotonic needs as many knots x as values y, at least one")
        if np.any(np.diff(xs) <= 0) or np.any(np.diff(ys) < 0):
            raise ValueError("isotonic knots must increase and values must not decrease")
        if ys.min() < 0.0 or ys.max() > 1.0:
            raise ValueError("isotonic values must lie in [0, 1]")
        return self

    @property
    def knots(self) -> Knots:
        private: dict[str, Knots] = self.__pydantic_private__  # type: ignore[assignment]
        return private["_knots"]  # the slot itself: `self._knots` costs ~2.5 us in pydantic's __getattr__

    def apply(self, p: F64) -> F64:
        """Calibrated P(up) for raw P(up), elementwise, kept inside [P_FLOOR, 1 - P_FLOOR].

        ufuncs with `out=` rather than np.clip: the same numbers, without ~3 us of Python per clip.
        """
        q = np.maximum(np.asarray(p, dtype=np.float64), 0.0)
        np.minimum(q, 1.0, out=q)
        if self.method == "isotonic":
            q = np.interp(q, self.knots.x, self.knots.y)
        elif self.method == "sigmoid":
            inside = np.minimum(np.maximum(q, P_FLOOR), 1.0 - P_FLOOR)
            z = np.log(inside) - np.log1p(-inside)
            q = 1.0 / (1.0 + np.exp(-(self.a * z + self.b)))
        q = (1.0 - self.shrink) * q + self.shrink * self.base_rate
        np.maximum(q, P_FLOOR, out=q)
        return np.minimum(q, 1.0 - P_FLOOR, out=q)


IDENTITY = Calibrator()
