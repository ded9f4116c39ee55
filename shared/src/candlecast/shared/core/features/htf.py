"""Compiled higher-timeframe (HTF) bars: aggregated online on wall-clock boundaries.

A HTF bar covers [start, start + mult * tf) with start = ts - ts % (mult * tf). It
closes when the base bar ending exactly at its boundary has closed, or when a bar
of a later period arrives. Features read closed HTF bars only, never the forming one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.features import columns, layout
from candlecast.shared.core.features.layout import RING_MASK as M
from candlecast.shared.core.features.rolling import ratio_or


@njit(cache=True, error_model="numpy")
def htf_update(
    fl: F64, it: I64, ring: F64, h: int, tf: int, t: int, o: float, hi: float, lo: float, c: float
) -> None:
    """Fold base bar (o, h, l, c) at ts t into HTF h; close HTF bars as their periods end."""
    period = layout.HTF_MULTS[h] * tf
    start = t - t % period
    f = layout.F_HTF + h * layout.N_HF
    i = layout.I_HTF + h * layout.N_HI
    if it[i + layout.HI_ACTIVE] == 1 and it[i + layout.HI_START] != start:
        htf_close(fl, it, ring, h)
    if it[i + layout.HI_ACTIVE] == 0:
        fl[f + layout.HF_FO], fl[f + layout.HF_FH], fl[f + layout.HF_FL] = o, hi, lo
        it[i + layout.HI_START] = start
        it[i + layout.HI_ACTIVE] = 1
    else:
        fl[f + layout.HF_FH] = max(fl[f + layout.HF_FH], hi)
        fl[f + layout.HF_FL] = min(fl[f + layout.HF_FL], lo)
    fl[f + layout.HF_FC] = c
    if (t + tf) % period == 0:
        htf_close(fl, it, ring, h)


@njit(cache=True, error_model="numpy")
def htf_close(fl: F64, it: I64, ring: F64, h: int) -> None:
    """Close the forming HTF bar: push its close, update RSI, SMA and realised vol."""
    f = layout.F_HTF + h * layout.N_HF
    i = layout.I_HTF + h * layout.N_HI
    cnt = it[i + layout.HI_COUNT] + 1
    it[i + layout.HI_COUNT] = cnt
    it[i + layout.HI_ACTIVE] = 0
    closes = ring[layout.SER_HTF + 2 * h]
    logrets = ring[layout.SER_HTF + 2 * h + 1]
    c = fl[f + layout.HF_FC]
    closes[cnt & M] = c
    logrets[cnt & M] = 0.0
    if cnt >= 2:
        prev = fl[f + layout.HF_C]
        logrets[cnt & M] = np.log(c / prev)
        d = c - prev
        first = cnt == 2
        gain, loss = max(d, 0.0), max(-d, 0.0)
        fl[f + layout.HF_GAIN] = (
            gain if first else fl[f + layout.HF_GAIN] + (gain - fl[f + layout.HF_GAIN]) / layout.HTF_RSI
        )
        fl[f + layout.HF_LOSS] = (
            loss if first else fl[f + layout.HF_LOSS] + (loss - fl[f + layout.HF_LOSS]) / layout.HTF_RSI
        )
    for k in range(4):
        fl[f + layout.HF_O + k] = fl[f + layout.HF_FO + k]
    fl[f + layout.HF_SMA] = window_mean(closes, cnt, min(cnt, layout.HTF_SMA))
    fl[f + layout.HF_RVOL] = window_std(logrets, cnt, max(min(cnt - 1, layout.HTF_RVOL), 1))


@njit(cache=True, error_model="numpy")
def window_mean(values: F64, n: int, w: int) -> float:
    total = 0.0
    for j in range(n - w + 1, n + 1):
        total += values[j & M]
    return total / w


@njit(cache=True, error_model="numpy")
def window_std(values: F64, n: int, w: int) -> float:
    """Two-pass population std of the last w values (exact enough, no drift: recomputed)."""
    mean = window_mean(values, n, w)
    total = 0.0
    for j in range(n - w + 1, n + 1):
        d = values[j & M] - mean
        total += d * d
    return float(np.sqrt(total / w))


@njit(cache=True, error_model="numpy")
def htf_write(row: F64, fl: F64, it: I64, ring: F64, h: int, c: float) -> None:
    """HTF columns for the current base close c from closed HTF bars (zeros before the first)."""
    at = columns.C_HTF + h * columns.N_HTF_COLS
    cnt = it[layout.I_HTF + h * layout.N_HI + layout.HI_COUNT]
    if cnt == 0:
        row[at : at + columns.N_HTF_COLS] = 0.0
        return
    f = layout.F_HTF + h * layout.N_HF
    closes = ring[layout.SER_HTF + 2 * h]
    o, hi, lo, cl = fl[f + layout.HF_O], fl[f + layout.HF_H], fl[f + layout.HF_L], fl[f + layout.HF_C]
    gain = fl[f + layout.HF_GAIN]
    for j in range(len(layout.HTF_RET_LAGS)):
        row[at + j] = cl / closes[(cnt - layout.HTF_RET_LAGS[j]) & M] - 1.0
    at += len(layout.HTF_RET_LAGS)
    row[at] = ratio_or(100.0 * gain, gain + fl[f + layout.HF_LOSS], 50.0)
    row[at + 1] = c / fl[f + layout.HF_SMA] - 1.0
    row[at + 2] = (hi - lo) / cl
    row[at + 3] = cl / o - 1.0
    row[at + 4] = c / cl - 1.0
    row[at + 5] = c / hi - 1.0
    row[at + 6] = c / lo - 1.0
    row[at + 7] = fl[f + layout.HF_RVOL]
