"""Compiled writers of the base-timeframe output columns, read from the updated state."""

from __future__ import annotations

import numpy as np
from numba import njit

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.features import columns, layout
from candlecast.shared.core.features.layout import RING_MASK as M
from candlecast.shared.core.features.rolling import deque_front, ratio_or, stat_dev, stat_mean, stat_std

DAY_MS = 86_400_000
TWO_PI = 2.0 * np.pi


@njit(cache=True, error_model="numpy")
def write_returns(row: F64, fl: F64, ring: F64, n: int) -> None:
    cl = ring[layout.SER_CLOSE]
    c = cl[n & M]
    row[columns.C_CLOSE] = c
    for i in range(len(layout.RET_LAGS)):
        row[columns.C_RET + i] = c / cl[(n - layout.RET_LAGS[i]) & M] - 1.0
    for i in range(len(layout.LOGRET_LAGS)):
        row[columns.C_LOGRET + i] = np.log(c / cl[(n - layout.LOGRET_LAGS[i]) & M])
    for i in range(len(layout.ACCEL_LAGS)):
        k = layout.ACCEL_LAGS[i]
        ck = cl[(n - k) & M]
        row[columns.C_ACCEL + i] = (c / ck - 1.0) - (ck / cl[(n - 2 * k) & M] - 1.0)
    for i in range(len(layout.UP_WINDOWS)):
        row[columns.C_UP + i] = stat_mean(fl, layout.F_STAT + layout.STAT_SIZE * (layout.ST_UP + i))


@njit(cache=True, error_model="numpy")
def write_shape(row: F64, fl: F64, ring: F64, n: int) -> None:
    k = n & M
    o, h, lo, c = (
        ring[layout.SER_OPEN, k],
        ring[layout.SER_HIGH, k],
        ring[layout.SER_LOW, k],
        ring[layout.SER_CLOSE, k],
    )
    rng = h - lo
    top = max(o, c)
    bot = min(o, c)
    at = columns.C_SHAPE
    row[at] = rng / c
    row[at + 1] = c / o - 1.0
    row[at + 2] = ratio_or(c - o, rng, 0.0)
    row[at + 3] = (h - top) / c
    row[at + 4] = (bot - lo) / c
    row[at + 5] = ratio_or(h - top, rng, 0.0)
    row[at + 6] = ratio_or(bot - lo, rng, 0.0)
    row[at + 7] = ratio_or(c - lo, rng, 0.5)
    row[columns.C_GAP_OPEN] = o / ring[layout.SER_CLOSE, (n - 1) & M] - 1.0
    mean_hl = stat_mean(fl, layout.F_STAT + layout.STAT_SIZE * layout.ST_HL)
    row[columns.C_RANGE_RATIO] = rng / c / mean_hl if mean_hl > 0.0 else 1.0


@njit(cache=True, error_model="numpy")
def write_averages(row: F64, fl: F64, ring: F64, n: int) -> None:
    c = ring[layout.SER_CLOSE, n & M]
    nw = len(layout.MA_WINDOWS)
    for i in range(nw):
        w = layout.MA_WINDOWS[i]
        at = layout.F_STAT + layout.STAT_SIZE * (layout.ST_CLOSE + i)
        mean = stat_mean(fl, at)
        dev = stat_dev(fl, at, c)
        row[columns.C_SMA + i] = dev / mean
        row[columns.C_EMA + i] = c / fl[layout.F_EMA + i] - 1.0
        row[columns.C_Z + i] = ratio_or(dev, stat_std(fl, at, n, w), 0.0)
    macd = fl[layout.F_MACD] - fl[layout.F_MACD + 1]
    signal = fl[layout.F_MACD + 2]
    row[columns.C_MACD] = macd / c
    row[columns.C_MACD + 1] = signal / c
    row[columns.C_MACD + 2] = (macd - signal) / c


@njit(cache=True, error_model="numpy")
def write_oscillators(row: F64, fl: F64, ring: F64, n: int) -> None:
    c = ring[layout.SER_CLOSE, n & M]
    for i in range(len(layout.RSI_WINDOWS)):
        gain = fl[layout.F_RSI + 2 * i]
        row[columns.C_RSI + i] = ratio_or(100.0 * gain, gain + fl[layout.F_RSI + 2 * i + 1], 50.0)
    k = ring[layout.SER_STOCHK]
    row[columns.C_STOCH] = k[n & M]
    total = 0.0
    for j in range(n - layout.STOCH_SMOOTH + 1, n + 1):
        total += k[j & M]
    row[columns.C_STOCH + 1] = total / layout.STOCH_SMOOTH
    at = layout.F_STAT + layout.STAT_SIZE * layout.ST_BB
    mean = stat_mean(fl, at)
    band = 2.0 * layout.BB_WIDTH * stat_std(fl, at, n, layout.BB_WINDOW)
    row[columns.C_BB] = ratio_or(stat_dev(fl, at, c), band, 0.0) + 0.5
    row[columns.C_BB + 1] = band / mean
    for i in range(len(layout.ATR_WINDOWS)):
        row[columns.C_ATR + i] = fl[layout.F_ATR + i] / c


@njit(cache=True, error_model="numpy")
def write_volatility(row: F64, fl: F64, n: int) -> None:
    for i in range(len(layout.RVOL_WINDOWS)):
        row[columns.C_RVOL + i] = stat_std(
            fl, layout.F_STAT + layout.STAT_SIZE * (layout.ST_LOGRET + i), n, layout.RVOL_WINDOWS[i]
        )
    fast = row[columns.C_RVOL + layout.RVOL_FAST]
    slow = row[columns.C_RVOL + layout.RVOL_SLOW]
    row[columns.C_RVOL_RATIO] = ratio_or(fast, slow, 1.0)
    mean_pk = stat_mean(fl, layout.F_STAT + layout.STAT_SIZE * layout.ST_PK)
    row[columns.C_PARKINSON] = np.sqrt(max(mean_pk, 0.0) / (4.0 * np.log(2.0)))


@njit(cache=True, error_model="numpy")
def write_minmax(row: F64, it: I64, ring: F64, deq: I64, n: int) -> None:
    c = ring[layout.SER_CLOSE, n & M]
    nw = len(layout.MINMAX_WINDOWS)
    nd = len(layout.DQ_WINDOWS)
    for i in range(nw):
        w = layout.MINMAX_WINDOWS[i]
        top = deque_front(deq[i], it, layout.I_DQ + 2 * i)
        bot = deque_front(deq[nd + i], it, layout.I_DQ + 2 * (nd + i))
        row[columns.C_MINMAX + i] = c / ring[layout.SER_HIGH, top & M] - 1.0
        row[columns.C_MINMAX + nw + i] = c / ring[layout.SER_LOW, bot & M] - 1.0
        row[columns.C_MINMAX + 2 * nw + i] = (n - top) / w
        row[columns.C_MINMAX + 3 * nw + i] = (n - bot) / w


@njit(cache=True, error_model="numpy")
def write_volume(row: F64, fl: F64, ring: F64, n: int) -> None:
    v = ring[layout.SER_VOLUME, n & M]
    nw = len(layout.VOLUME_WINDOWS)
    for i in range(nw):
        w = layout.VOLUME_WINDOWS[i]
        at = layout.F_STAT + layout.STAT_SIZE * (layout.ST_VOLUME + i)
        mean = stat_mean(fl, at)
        row[columns.C_VOLUME + i] = ratio_or(stat_dev(fl, at, v), stat_std(fl, at, n, w), 0.0)
        row[columns.C_VOLUME + nw + i] = v / mean if mean > 0.0 else 1.0


@njit(cache=True, error_model="numpy")
def write_patterns(row: F64, ring: F64, n: int) -> None:
    k = n & M
    p = (n - 1) & M
    o, h, lo, c = (
        ring[layout.SER_OPEN, k],
        ring[layout.SER_HIGH, k],
        ring[layout.SER_LOW, k],
        ring[layout.SER_CLOSE, k],
    )
    po, pc = ring[layout.SER_OPEN, p], ring[layout.SER_CLOSE, p]
    rng = h - lo
    body = abs(c - o)
    upper = h - max(o, c)
    lower = min(o, c) - lo
    at = columns.C_PATTERN
    row[at] = 1.0 if rng > 0.0 and body <= 0.1 * rng else 0.0
    row[at + 1] = (
        1.0 if rng > 0.0 and lower >= 2.0 * body and lower >= 0.6 * rng and upper <= 0.1 * rng else 0.0
    )
    row[at + 2] = (
        1.0 if rng > 0.0 and upper >= 2.0 * body and upper >= 0.6 * rng and lower <= 0.1 * rng else 0.0
    )
    row[at + 3] = 1.0 if pc < po and c > o and o <= pc and c >= po else 0.0
    row[at + 4] = 1.0 if pc > po and c < o and o >= pc and c <= po else 0.0


@njit(cache=True, error_model="numpy")
def write_time(row: F64, ts: int) -> None:
    day = ts // DAY_MS
    tod = (ts - day * DAY_MS) / DAY_MS
    dow = ((day + 3) % 7) / 7.0  # 1970-01-01 was a Thursday; Monday is 0
    row[columns.C_TIME] = np.sin(TWO_PI * tod)
    row[columns.C_TIME + 1] = np.cos(TWO_PI * tod)
    row[columns.C_TIME + 2] = np.sin(TWO_PI * dow)
    row[columns.C_TIME + 3] = np.cos(TWO_PI * dow)
