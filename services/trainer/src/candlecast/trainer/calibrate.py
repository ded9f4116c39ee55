"""Fit a Calibrator on out-of-fold predictions, never on the holdout.

Isotonic (our own pool-adjacent-violators over equal-count bins of raw P(up)) by default, or
sigmoid (Platt on logit p, by Newton's method). The shrink toward the base rate is chosen
honestly: time-ordered cross-fitting scores each block of OOF rows with a calibrator fitted on
the other blocks, so a model with no skill gets shrink ~1 and publishes ~the base rate.

The calibration rows (one short, recent fold) set only the map's shape, never its level: their
up-share drifts from the long-run rate by more than the whole ECE budget. The map is shifted
so that it moves the booster's mean P(up) by what the long run says (base rate minus the
booster's raw level on all pre-holdout rows), not by the fold's own up-share.
"""

from __future__ import annotations

import itertools

import numpy as np

from candlecast.shared.core.arrays import F64
from candlecast.shared.core.calibration import P_FLOOR, CalibrationMethod, Calibrator
from candlecast.shared.core.scoring import log_loss

BINS = 100  # isotonic pre-binning: equal-count bins of raw p
MIN_BIN_ROWS = 200
BLOCKS = 5  # cross-fitting blocks, in time order
SHRINK_GRID = np.linspace(0.0, 1.0, 101)
ANCHOR_STEPS = 8


def pav(values: F64, weights: F64) -> F64:
    """Weighted least-squares non-decreasing fit (pool adjacent violators), same length."""
    means: list[float] = []
    sizes: list[float] = []
    counts: list[int] = []
    for v, w in zip(values.tolist(), weights.tolist(), strict=True):
        means.append(v)
        sizes.append(w)
        counts.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            m, s, c = means.pop(), sizes.pop(), counts.pop()
            total = sizes[-1] + s
            means[-1] = (means[-1] * sizes[-1] + m * s) / total
            sizes[-1] = total
            counts[-1] += c
    return np.repeat(np.asarray(means), counts)


def _bins(p: F64, y: F64) -> tuple[F64, F64, F64]:
    """(mean p, mean y, rows) of equal-count bins of p, sorted by p."""
    order = np.argsort(p, kind="mergesort")
    n_bins = int(max(1, min(BINS, p.shape[0] // MIN_BIN_ROWS)))
    cuts = np.linspace(0, p.shape[0], n_bins + 1).astype(np.int64)
    sizes = np.diff(cuts).astype(np.float64)
    idx = np.repeat(np.arange(n_bins), np.diff(cuts))
    mean_p = np.bincount(idx, weights=p[order], minlength=n_bins) / sizes
    mean_y = np.bincount(idx, weights=y[order], minlength=n_bins) / sizes
    return mean_p, mean_y, sizes


def fit_isotonic(p: F64, y: F64) -> Calibrator:
    mean_p, mean_y, sizes = _bins(p, y)
    fitted = np.clip(pav(mean_y, sizes), 0.0, 1.0)
    keep = np.r_[True, np.diff(mean_p) > 1e-12]  # knots must increase strictly
    xs, ys = mean_p[keep], np.maximum.accumulate(fitted[keep])
    return Calibrator(method="isotonic", x=tuple(xs.tolist()), y=tuple(ys.tolist()))


def fit_sigmoid(p: F64, y: F64, iterations: int = 50) -> Calibrator:
    """Platt scaling: P = sigmoid(a * logit(p) + b), maximum likelihood by Newton."""
    q = np.clip(p, P_FLOOR, 1.0 - P_FLOOR)
    z = np.log(q) - np.log1p(-q)
    design = np.column_stack([z, np.ones_like(z)])
    coef = np.array([1.0, 0.0])
    for _ in range(iterations):
        s = 1.0 / (1.0 + np.exp(-(design @ coef)))
        grad = design.T @ (s - y)
        hess = design.T @ (design * (s * (1.0 - s))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        coef -= step
        if np.abs(step).max() < 1e-10:
            break
    return Calibrator(method="sigmoid", a=float(coef[0]), b=float(coef[1]))


def anchor(cal: Calibrator, p: F64, level: float) -> Calibrator:
    """`cal` shifted so that its mean over `p` is `level`."""
    if cal.method == "isotonic":
        ys = np.asarray(cal.y)
        for _ in range(ANCHOR_STEPS):  # repeated because clipping at 0 and 1 can eat part of a shift
            ys = np.clip(ys + level - float(np.mean(np.interp(p, cal.x, ys))), 0.0, 1.0)
        return cal.model_copy(update={"y": tuple(ys.tolist())})
    if cal.method == "sigmoid":
        b = cal.b
        for _ in range(ANCHOR_STEPS):  # Newton on b: mean(sigmoid(a z + b)) = level
            q = cal.model_copy(update={"b": b}).apply(p)
            b -= (float(np.mean(q)) - level) / max(float(np.mean(q * (1.0 - q))), 1e-9)
        return cal.model_copy(update={"b": b})
    return cal


def fit_map(p: F64, y: F64, method: CalibrationMethod, level_shift: float = 0.0) -> Calibrator:
    """The map f alone (shrink 0): shape from (p, y), mean over p = mean(p) + level_shift."""
    if method == "isotonic":
        return anchor(fit_isotonic(p, y), p, float(np.mean(p)) + level_shift)
    if method == "sigmoid":
        return anchor(fit_sigmoid(p, y), p, float(np.mean(p)) + level_shift)
    return Calibrator()


def choose_shrink(
    p: F64,
    y: F64,
    method: CalibrationMethod,
    base_rate: float,
    blocks: int = BLOCKS,
    level_shift: float = 0.0,
) -> float:
    """Shrink with the lowest cross-fitted log loss: each time block scored by a map fitted elsewhere."""
    cuts = np.linspace(0, p.shape[0], blocks + 1).astype(np.int64)
    mapped = np.empty_like(p)
    for lo, hi in itertools.pairwise(cuts):
        rest = np.r_[0:lo, hi : p.shape[0]]
        mapped[lo:hi] = fit_map(p[rest], y[rest], method, level_shift).apply(p[lo:hi])
    losses = [log_loss(y, (1.0 - s) * mapped + s * base_rate) for s in SHRINK_GRID]
    return float(SHRINK_GRID[int(np.argmin(losses))])


def fit_calibrator(
    raw_oof: F64,
    y_oof: F64,
    method: CalibrationMethod,
    base_rate: float,
    raw_level: float | None = None,
    blocks: int = BLOCKS,
) -> Calibrator:
    """Calibrator from OOF rows in time order (NaN predictions are dropped).

    `raw_level`: the booster's mean raw P(up) on the rows whose up-share is `base_rate` (None:
    the same, the booster is taken as level-true); the map moves the mean by base_rate - raw_level.
    """
    known = np.isfinite(raw_oof)
    p, y = raw_oof[known], y_oof[known]
    if p.shape[0] < blocks * MIN_BIN_ROWS or np.unique(y).shape[0] < 2:
        return Calibrator(method="identity", shrink=1.0, base_rate=base_rate)  # too little to trust
    shift = 0.0 if raw_level is None else base_rate - raw_level
    shrink = choose_shrink(p, y, method, base_rate, blocks, shift)
    fitted = fit_map(p, y, method, shift).model_dump()
    return Calibrator.model_validate({**fitted, "shrink": shrink, "base_rate": base_rate})
