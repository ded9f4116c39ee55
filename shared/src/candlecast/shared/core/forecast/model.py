"""The fitted path forecaster and its fast evaluation.

Per step s (1..steps) a ridge line predicts the log of the price range the next s bars will span
(`scale`) from a few volatility features of the row. Each price of bar t + s, as a log return
against the last close, is `scale * u`, where `u` comes from a table of empirical quantiles of
standardised outcomes (per step, price and level), fitted by the trainer on rows it did not fit
the ridge on. Coherence is built in:
- the table is ordered along the levels and low <= min(open, close) <= max(open, close) <= high
  at every level, and a positive scale keeps both;
- per row, levels above the median never come down with the step and levels below never go up,
  so each band's edges move outwards (where the fitted ridge already does so, nothing changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field, PrivateAttr, model_validator

from candlecast.shared.core.arrays import F64, I64, Derived, Mask
from candlecast.shared.core.derived import DerivedModel

MAX_STEPS = 300
FIELDS = ("open", "high", "low", "close")
OPEN, HIGH, LOW, CLOSE = range(4)
GRID = tuple(round(0.01 * i, 2) for i in range(1, 100))  # the levels the table keeps
EPS = 1e-12  # inside log(|x| + EPS)
LOG_SCALE_BOUNDS = (-25.0, 1.0)  # a scale outside exp() of these is a broken input, not a forecast
# Volatility-like inputs, used when the model's feature set has them (log |x| unless time of day).
SCALE_INPUTS = (
    "rvol_5", "rvol_10", "rvol_20", "rvol_50", "rvol_100", "rvol_200", "atr_7", "atr_14",
    "parkinson_20", "hl_range", "bb_width_20", "logret_1", "logret_5", "x3_range", "x12_range",
    "x3_rvol_10", "x12_rvol_10", "tod_sin", "tod_cos", "ret1", "vol_z",
)  # fmt: skip
RAW_INPUTS = frozenset({"tod_sin", "tod_cos", "vol_z"})


@dataclass(frozen=True, slots=True, eq=False)
class Plan(Derived):
    """A forecaster's fields as the arrays its evaluation needs, built once per forecaster."""

    table: F64  # (steps, 4, levels)
    coef: F64  # (steps, 1 + inputs)
    served_index: I64  # table positions of the lower level, the median and the upper level
    served_table: F64  # (steps, 4, 3): the table at those three levels
    columns: I64  # the inputs' positions in a feature row
    logged: Mask  # log(|x|) of this input
    center: F64
    spread: F64


class Forecaster(DerivedModel):
    """What the trainer fitted; stored as the model's `forecaster` file (JSON)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["candlecast-forecaster"] = "candlecast-forecaster"
    format_version: int = Field(default=1, ge=1, le=1)
    design: Literal["vol-scaled-empirical-quantiles"] = "vol-scaled-empirical-quantiles"
    steps: int = Field(ge=1, le=MAX_STEPS)
    inputs: tuple[str, ...] = Field(description="Feature names feeding the scale lines")
    columns: tuple[int, ...] = Field(description="Their positions in the model's feature_names")
    log_inputs: tuple[bool, ...] = Field(description="log(|x|) of this input, else x itself")
    center: tuple[float, ...]
    spread: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...] = Field(description="Per step: intercept, then one per input")
    levels: tuple[float, ...] = Field(description="Quantile levels of the table, increasing")
    table: tuple[tuple[tuple[float, ...], ...], ...] = Field(
        description="[step][open, high, low, close][level]: standardised log return vs the last close"
    )
    band: tuple[float, float] = Field(default=(0.1, 0.9), description="Served lower and upper levels")
    _plan: Plan = PrivateAttr()

    @model_validator(mode="after")
    def _consistent(self) -> Forecaster:
        k = len(self.inputs)
        if not len(self.columns) == len(self.log_inputs) == len(self.center) == len(self.spread) == k:
            raise ValueError("inputs, columns, log_inputs, center and spread differ in length")
        if len(self.coef) != self.steps or any(len(c) != k + 1 for c in self.coef):
            raise ValueError(f"coef must be {self.steps} rows of {k + 1}")
        table = np.asarray(self.table, dtype=np.float64)
        if table.shape != (self.steps, 4, len(self.levels)):
            raise ValueError(f"table must be {self.steps} x 4 x {len(self.levels)}")
        if list(self.levels) != sorted(set(self.levels)) or 0.5 not in self.levels:
            raise ValueError("levels must increase and include 0.5")
        if not set(self.band) <= set(self.levels) or not self.band[0] < 0.5 < self.band[1]:
            raise ValueError(f"band {self.band} must be two table levels around 0.5")
        if not np.array_equal(coherent_table(table), table):
            raise ValueError("table is not coherent (ordered levels, low <= open, close <= high)")
        served = self.level_index((self.band[0], 0.5, self.band[1]))
        coef = np.asarray(self.coef, dtype=np.float64).reshape(self.steps, k + 1)
        self._plan = Plan(
            table=table, coef=coef, served_index=served, served_table=table[..., served],
            columns=np.array(self.columns, dtype=np.int64), logged=np.array(self.log_inputs, dtype=np.bool_),
            center=np.array(self.center, dtype=np.float64), spread=np.array(self.spread, dtype=np.float64),
        )  # fmt: skip
        return self

    @property
    def plan(self) -> Plan:
        private: dict[str, Plan] = self.__pydantic_private__  # type: ignore[assignment]
        return private["_plan"]  # the slot itself: `self._plan` costs ~2.5 us in pydantic's __getattr__

    @property
    def table_array(self) -> F64:
        return self.plan.table

    @property
    def coef_array(self) -> F64:
        return self.plan.coef

    @property
    def served_index(self) -> I64:
        """Table positions of the lower level, the median and the upper level."""
        return self.plan.served_index

    def level_index(self, levels: tuple[float, ...]) -> I64:
        missing = [q for q in levels if q not in self.levels]
        if missing:
            raise ValueError(f"levels {missing} are not in the table")
        return np.array([self.levels.index(q) for q in levels], dtype=np.int64)


def coherent_table(table: F64) -> F64:
    """(steps, 4, levels): sorted along levels, then low = min(low, open, close), high = max(...)."""
    out = np.sort(np.asarray(table, dtype=np.float64), axis=2)
    out[:, LOW] = np.minimum(out[:, LOW], np.minimum(out[:, OPEN], out[:, CLOSE]))
    out[:, HIGH] = np.maximum(out[:, HIGH], np.maximum(out[:, OPEN], out[:, CLOSE]))
    return out


def log_scale(f: Forecaster, X: F64) -> F64:
    """(n, steps): predicted log range of the next s bars, from rows of the model's features."""
    coef = f.coef_array
    if not f.inputs:
        return np.broadcast_to(coef[:, 0], (X.shape[0], f.steps))
    x = X[:, list(f.columns)]
    logged = np.log(np.abs(x) + EPS)
    x = np.where(np.asarray(f.log_inputs), logged, x)
    z = np.nan_to_num((x - np.asarray(f.center)) / np.asarray(f.spread))
    return np.asarray(np.clip(coef[:, 0] + z @ coef[:, 1:].T, *LOG_SCALE_BOUNDS), dtype=np.float64)


def _outward(f: Forecaster, X: F64, table: F64, index: I64) -> F64:
    """scale x table at levels `index`; upper levels never fall with the step, lower never rise."""
    scale = np.maximum.accumulate(np.exp(log_scale(f, X)), axis=1)
    out = scale.reshape(scale.shape + (1,) * (table.ndim - 1)) * table[None][..., index]
    levels = np.asarray(f.levels)[index]
    for side, accumulate in ((levels > 0.5, np.maximum), (levels < 0.5, np.minimum)):
        if side.any():
            out[..., side] = accumulate.accumulate(out[..., side], axis=1)
    return out


def quantile_paths(f: Forecaster, X: F64, index: I64) -> F64:
    """(n, steps, 4, len(index)) log returns vs the last close at the table levels `index`."""
    out = _outward(f, X, f.table_array, index)
    out[:, :, LOW] = np.minimum(out[:, :, LOW], np.minimum(out[:, :, OPEN], out[:, :, CLOSE]))
    out[:, :, HIGH] = np.maximum(out[:, :, HIGH], np.maximum(out[:, :, OPEN], out[:, :, CLOSE]))
    return out


def close_quantiles(f: Forecaster, X: F64, index: I64) -> F64:
    """(n, steps, len(index)): the close of `quantile_paths` alone (coherence moves only low and high)."""
    return _outward(f, X, f.table_array[:, CLOSE], index)


@dataclass(frozen=True, slots=True)
class PricePaths:
    """Per row and step: bar open time, and (open, high, low, close) at the median and band edges."""

    ts: I64  # (n, steps)
    median: F64  # (n, steps, 4)
    lower: F64
    upper: F64


def price_paths(f: Forecaster, X: F64, close: F64, ts: I64, step_ms: int) -> PricePaths:
    """The served paths in prices; bar s opens `s * step_ms` after the row's bar."""
    prices = close[:, None, None, None] * np.exp(quantile_paths(f, X, f.served_index))
    steps = np.arange(1, f.steps + 1, dtype=np.int64) * step_ms
    return PricePaths(
        ts=ts[:, None] + steps[None, :],
        lower=prices[..., 0],
        median=prices[..., 1],
        upper=prices[..., 2],
    )
