"""Compiled rolling primitives over ring buffers: shifted sums and monotonic deques.

Bar j (1-based since the last reset) sits at ring column j & RING_MASK.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.features.layout import RING_MASK as M

REFRESH = 1e-4


@njit(cache=True, error_model="numpy")
def stat_update(fl: F64, at: int, values: F64, n: int, w: int) -> None:
    """Update (mean, M2) of d = value - ref over the last w bars after bar n.

    Sliding Welford updates keep M2's error proportional to the deviations, and
    the shift by ref keeps deviations from the mean exact. Every w bars (and at
    n == 1) ref moves to the newest value and both are recomputed exactly (two
    passes over the ring), so drift is bounded by w updates. So is M2 when it
    falls below REFRESH times its peak since the last recompute (a burst leaving
    the window), so its error stays small relative to its value.
    """
    if n == 1 or n % w == 0:
        stat_recompute(fl, at, values, n, w)
        return
    ref = fl[at + 2]
    mean = fl[at]
    new = values[n & M] - ref
    if n > w:
        old = values[(n - w) & M] - ref
        mean_new = mean + (new - old) / w
        fl[at + 1] += (new - old) * (new - mean_new + old - mean)
    else:
        mean_new = mean + (new - mean) / n
        fl[at + 1] += (new - mean) * (new - mean_new)
    fl[at] = mean_new
    if fl[at + 1] > fl[at + 3]:
        fl[at + 3] = fl[at + 1]
    elif fl[at + 1] < REFRESH * fl[at + 3]:
        stat_recompute(fl, at, values, n, w)


@njit(cache=True, error_model="numpy")
def stat_recompute(fl: F64, at: int, values: F64, n: int, w: int) -> None:
    ref = values[n & M]
    first = max(1, n - w + 1)
    total = 0.0
    for j in range(first, n + 1):
        total += values[j & M] - ref
    mean = total / (n + 1 - first)
    m2 = 0.0
    for j in range(first, n + 1):
        d = values[j & M] - ref - mean
        m2 += d * d
    fl[at], fl[at + 1], fl[at + 2], fl[at + 3] = mean, m2, ref, m2


@njit(cache=True, error_model="numpy")
def stat_mean(fl: F64, at: int) -> float:
    return float(fl[at + 2] + fl[at])


@njit(cache=True, error_model="numpy")
def stat_dev(fl: F64, at: int, x: float) -> float:
    """x minus the window mean, computed in shifted coordinates (no cancellation)."""
    return float((x - fl[at + 2]) - fl[at])


@njit(cache=True, error_model="numpy")
def stat_std(fl: F64, at: int, n: int, w: int) -> float:
    """Population std (ddof 0); exactly 0 when below 1e-10 of the mean's magnitude."""
    std = np.sqrt(max(fl[at + 1], 0.0) / min(n, w))
    if std <= 1e-10 * abs(fl[at + 2] + fl[at]) or std <= 1e-150:
        return 0.0
    return float(std)


@njit(cache=True, error_model="numpy")
def deque_push(q: I64, it: I64, at: int, values: F64, n: int, w: int, sign: float) -> None:
    """Push bar n into the monotonic deque of max(sign * value) over the last w bars.

    `q` holds bar numbers; it[at], it[at + 1] are head and tail counters. Ties keep
    the newest bar. Amortised O(1).
    """
    head = it[at]
    tail = it[at + 1]
    x = sign * values[n & M]
    while tail > head and sign * values[q[(tail - 1) & M] & M] <= x:
        tail -= 1
    q[tail & M] = n
    tail += 1
    while q[head & M] <= n - w:
        head += 1
    it[at] = head
    it[at + 1] = tail


@njit(cache=True, error_model="numpy")
def deque_front(q: I64, it: I64, at: int) -> int:
    """Bar number of the current extreme."""
    return int(q[it[at] & M])


@njit(cache=True, error_model="numpy")
def ratio_or(num: float, den: float, fallback: float) -> float:
    """num / den, or fallback when den is 0 (keeps every output finite)."""
    if den == 0.0:
        return fallback
    return num / den
