"""Compiled per-bar update of the base-timeframe state: rings, rolling sums, deques, smoothers."""

from __future__ import annotations

import numpy as np
from numba import njit

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.features import layout
from candlecast.shared.core.features.layout import RING_MASK as M
from candlecast.shared.core.features.rolling import deque_front, deque_push, ratio_or, stat_update


@njit(cache=True, error_model="numpy")
def push_bar(ring: F64, n: int, o: float, h: float, lo: float, c: float, v: float) -> float:
    """Store bar n and its derived series; return the previous close (c itself at n == 1)."""
    k = n & M
    pc = ring[layout.SER_CLOSE, (n - 1) & M] if n > 1 else c
    ring[layout.SER_CLOSE, k] = c
    ring[layout.SER_OPEN, k] = o
    ring[layout.SER_HIGH, k] = h
    ring[layout.SER_LOW, k] = lo
    ring[layout.SER_VOLUME, k] = v
    ring[layout.SER_LOGRET, k] = np.log(c / pc)
    ring[layout.SER_UP, k] = 1.0 if c > pc else 0.0
    ring[layout.SER_HL, k] = (h - lo) / c
    log_hl = np.log(h / lo)
    ring[layout.SER_PK, k] = log_hl * log_hl
    return pc


@njit(cache=True, error_model="numpy")
def update_windows(fl: F64, it: I64, ring: F64, deq: I64, n: int) -> None:
    """Rolling sums, min/max deques and the stochastic %K ring for bar n."""
    for s in range(layout.N_STAT):
        stat_update(
            fl, layout.F_STAT + layout.STAT_SIZE * s, ring[layout.STAT_SERIES[s]], n, layout.STAT_WINDOWS[s]
        )
    nd = len(layout.DQ_WINDOWS)
    for d in range(nd):
        w = layout.DQ_WINDOWS[d]
        deque_push(deq[d], it, layout.I_DQ + 2 * d, ring[layout.SER_HIGH], n, w, 1.0)
        deque_push(deq[nd + d], it, layout.I_DQ + 2 * (nd + d), ring[layout.SER_LOW], n, w, -1.0)
    hh = ring[layout.SER_HIGH, deque_front(deq[nd - 1], it, layout.I_DQ + 2 * (nd - 1)) & M]
    ll = ring[layout.SER_LOW, deque_front(deq[2 * nd - 1], it, layout.I_DQ + 2 * (2 * nd - 1)) & M]
    c = ring[layout.SER_CLOSE, n & M]
    ring[layout.SER_STOCHK, n & M] = ratio_or(100.0 * (c - ll), hh - ll, 50.0)


@njit(cache=True, error_model="numpy")
def ema(fl: F64, at: int, x: float, span: int, first: bool) -> float:
    """EMA with alpha 2 / (span + 1), started at the first value (pandas adjust=False)."""
    y = x if first else fl[at] + 2.0 / (span + 1.0) * (x - fl[at])
    fl[at] = y
    return y


@njit(cache=True, error_model="numpy")
def wilder(fl: F64, at: int, x: float, w: int, first: bool) -> None:
    """Wilder smoothing (alpha 1 / w), started at the first value."""
    fl[at] = x if first else fl[at] + (x - fl[at]) / w


@njit(cache=True, error_model="numpy")
def update_smoothers(fl: F64, n: int, h: float, lo: float, c: float, pc: float) -> None:
    """EMAs, MACD, RSI gain/loss averages and ATR after bar n."""
    for i in range(len(layout.MA_WINDOWS)):
        ema(fl, layout.F_EMA + i, c, layout.MA_WINDOWS[i], n == 1)
    fast = ema(fl, layout.F_MACD, c, layout.MACD_FAST, n == 1)
    slow = ema(fl, layout.F_MACD + 1, c, layout.MACD_SLOW, n == 1)
    ema(fl, layout.F_MACD + 2, fast - slow, layout.MACD_SIGNAL, n == 1)
    if n >= 2:
        d = c - pc
        for i in range(len(layout.RSI_WINDOWS)):
            wilder(fl, layout.F_RSI + 2 * i, max(d, 0.0), layout.RSI_WINDOWS[i], n == 2)
            wilder(fl, layout.F_RSI + 2 * i + 1, max(-d, 0.0), layout.RSI_WINDOWS[i], n == 2)
    tr = max(h, pc) - min(lo, pc)
    for i in range(len(layout.ATR_WINDOWS)):
        wilder(fl, layout.F_ATR + i, tr, layout.ATR_WINDOWS[i], n == 1)
