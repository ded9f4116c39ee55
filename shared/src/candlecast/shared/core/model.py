"""The served model: a LightGBM booster, its calibrator and what it needs to be fed correctly.

Importing this module needs neither lightgbm nor optuna. `core.artifact` turns a model into
files (booster text + JSON manifest) and back, without pickle.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import cache
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
        raw = np.asarray(booster_predict(self.booster, X, threads), dtype=np.float64)
        return np.clip(raw, 0.0, 1.0)

    def predict_proba(self, X: F64) -> F64:
        """Calibrated P(up) per row: what the predictor publishes."""
        raw = self.raw_proba(X)
        return raw if raw.shape[0] == 0 else self.calibrator.apply(raw)


def booster_predict(booster: lightgbm.Booster, X: F64, threads: int) -> F64:
    """`booster.predict(X, num_threads=threads)`: the same C call with the same arguments, so the
    same numbers bit for bit, without the wrapper's per-call set-up (a predictor object, a deep
    copy and three more C calls: ~45 us of its ~68 on 10 rows). Anything but a real booster and
    a contiguous float64 matrix of at most INT32_MAX rows goes through `booster.predict` itself."""
    handle = getattr(booster, "_handle", None)
    contiguous = X.flags.c_contiguous or X.flags.f_contiguous
    if handle is None or X.ndim != 2 or X.dtype != np.float64 or not contiguous or X.shape[0] > INT32_MAX:
        return np.asarray(booster.predict(X, num_threads=threads), dtype=np.float64)
    lib, (n, k) = _library(), X.shape
    layout = COL_MAJOR if X.flags.f_contiguous else ROW_MAJOR  # the wrapper's choice (a 1-row matrix is both)
    iteration = ctypes.c_int(booster.best_iteration)  # predict()'s default: the best iteration, if any
    size, written = ctypes.c_int64(0), ctypes.c_int64(0)
    _check(lib, lib.LGBM_BoosterCalcNumPredict(handle, n, PREDICT_NORMAL, 0, iteration, ctypes.byref(size)))
    out = np.empty(size.value, dtype=np.float64)
    _check(
        lib,
        lib.LGBM_BoosterPredictForMat(
            handle, X.ctypes.data_as(ctypes.c_void_p), DTYPE_FLOAT64, ctypes.c_int32(n), ctypes.c_int32(k),
            layout, PREDICT_NORMAL, 0, iteration, ctypes.c_char_p(f"num_threads={threads}".encode()),
            ctypes.byref(written), out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        ),
    )  # fmt: skip
    if written.value != out.shape[0]:
        raise ValueError(f"LightGBM wrote {written.value} predictions for {n} rows")
    return out if out.shape[0] == n else out.reshape(n, -1)


# LightGBM's C API constants (c_api.h)
DTYPE_FLOAT64, COL_MAJOR, ROW_MAJOR, PREDICT_NORMAL = 1, 0, 1, 0
INT32_MAX = 2**31 - 1  # more rows than this: the wrapper predicts in sections


@cache
def _library() -> ctypes.CDLL:
    """lightgbm's loaded C library, looked up on the first prediction (importing this module needs none)."""
    from lightgbm import basic

    lib: ctypes.CDLL = vars(basic)["_LIB"]  # the library Booster.predict itself calls
    return lib


def _check(lib: ctypes.CDLL, status: int) -> None:
    """Raise LightGBM's own error, as its wrapper does, if a C call failed."""
    if status != 0:
        from lightgbm.basic import LightGBMError

        raise LightGBMError(lib.LGBM_GetLastError().decode("utf-8"))
