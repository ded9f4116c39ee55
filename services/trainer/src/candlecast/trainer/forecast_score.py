"""Scores of quantile forecasts, per row: pinball/CRPS, band coverage, PIT; and IC, RankIC.

Everything is in log-return units against the row's last close. The last axis of `q` holds
the quantiles at `levels` (increasing).
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from candlecast.shared.core.arrays import F64, I64

PIT_BINS = 10


def crps(y: F64, q: F64, levels: F64) -> F64:
    """Per row: 2 x the mean pinball loss over `levels` (the quantile form of the CRPS)."""
    y = y[..., None]
    pinball = (np.where(y < q, 1.0, 0.0) - levels) * (q - y)
    return np.asarray(2.0 * pinball.mean(axis=-1), dtype=np.float64)


def covered(y: F64, lower: F64, upper: F64) -> F64:
    """1.0 where lower <= y <= upper, else 0.0."""
    return ((lower <= y) & (y <= upper)).astype(np.float64)


def pit(y: F64, q: F64) -> F64:
    """Share of the quantiles at or below y: the probability integral transform on the grid."""
    return np.asarray((q <= y[..., None]).mean(axis=-1), dtype=np.float64)


def pit_histogram(values: F64, bins: int = PIT_BINS) -> list[int]:
    """Counts of PIT values in `bins` equal bins of [0, 1] (flat when calibrated)."""
    index = np.minimum((np.clip(values, 0.0, 1.0) * bins).astype(np.int64), bins - 1)
    counts: I64 = np.bincount(index, minlength=bins)
    return [int(c) for c in counts]


def ic(x: F64, y: F64) -> float:
    """Pearson correlation; NaN when either side is constant."""
    if x.shape[0] < 2 or np.std(x) == 0 or np.std(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def ranks(x: F64) -> F64:
    """Average ranks (ties share their mean rank)."""
    values, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    mean_rank = np.cumsum(counts) - (counts - 1) / 2.0
    return np.asarray(mean_rank[inverse], dtype=np.float64) if values.shape[0] else x


def rank_ic(x: F64, y: F64) -> float:
    """Spearman correlation: Pearson on average ranks."""
    return ic(ranks(x), ranks(y))


def normal_quantiles(levels: F64) -> F64:
    """Standard normal quantiles at `levels`."""
    dist = NormalDist()
    return np.array([dist.inv_cdf(float(p)) for p in levels], dtype=np.float64)


def hist_vol_quantiles(sigma: F64, steps: int, levels: F64) -> F64:
    """(m, steps, len(levels)): the random walk sigma * sqrt(s) * z, median 0 (persistence)."""
    s = np.sqrt(np.arange(1, steps + 1, dtype=np.float64))
    return sigma[:, None, None] * s[None, :, None] * normal_quantiles(levels)[None, None, :]
