"""The compiled kernel: advance one series' state bar by bar and write emitted rows.

`run` is the only entry point; the online and batch drivers both call it, so their
rows are bit-identical whatever the chunking.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.features import columns, layout
from candlecast.shared.core.features.bar_state import push_bar, update_smoothers, update_windows
from candlecast.shared.core.features.htf import htf_update, htf_write
from candlecast.shared.core.features.layout import RING_MASK as M
from candlecast.shared.core.features.write import (
    write_averages,
    write_minmax,
    write_oscillators,
    write_patterns,
    write_returns,
    write_shape,
    write_time,
    write_volatility,
    write_volume,
)

OK, OUT_OF_ORDER, INVALID_BAR = 0, 1, 2


@njit(cache=True, error_model="numpy")
def reset(fl: F64, it: I64, ring: F64, deq: I64) -> None:
    """Forget the series (keeps the last ts and the bar counter)."""
    fl[:] = 0.0
    ring[:, :] = 0.0
    deq[:, :] = 0
    it[layout.I_N] = 0
    it[layout.I_DQ :] = 0


@njit(cache=True, error_model="numpy")
def update(
    fl: F64, it: I64, ring: F64, deq: I64, tf: int, t: int, o: float, h: float, lo: float, c: float, v: float
) -> int:
    """Fold one bar into the state; return its number since the last reset."""
    n = int(it[layout.I_N]) + 1
    it[layout.I_N] = n
    it[layout.I_SEEN] += 1
    it[layout.I_LAST_TS] = t
    pc = push_bar(ring, n, o, h, lo, c, v)
    update_windows(fl, it, ring, deq, n)
    update_smoothers(fl, n, h, lo, c, pc)
    for k in range(len(layout.HTF_MULTS)):
        htf_update(fl, it, ring, k, tf, t, o, h, lo, c)
    return n


@njit(cache=True, error_model="numpy")
def fill_gap(fl: F64, it: I64, ring: F64, deq: I64, tf: int, t: int) -> None:
    """Before bar t: fill up to MAX_FILL_BARS missing bars with flat ones, or reset."""
    n = it[layout.I_N]
    if n == 0:
        return
    last = it[layout.I_LAST_TS]
    missing = (t - last) // tf - 1
    if missing > layout.MAX_FILL_BARS:
        reset(fl, it, ring, deq)
        return
    pc = ring[layout.SER_CLOSE, n & M]
    for j in range(1, missing + 1):
        update(fl, it, ring, deq, tf, last + j * tf, pc, pc, pc, pc, 0.0)


@njit(cache=True, error_model="numpy")
def ready(it: I64, need: I64) -> bool:
    """Every selected window is full: base bars and closed bars of each HTF."""
    if it[layout.I_N] < need[0]:
        return False
    ok = True
    for k in range(len(layout.HTF_MULTS)):
        ok = ok and it[layout.I_HTF + k * layout.N_HI + layout.HI_COUNT] >= need[1 + k]
    return ok


@njit(cache=True, error_model="numpy")
def write_row(row: F64, fl: F64, it: I64, ring: F64, deq: I64, t: int) -> None:
    n = it[layout.I_N]
    write_returns(row, fl, ring, n)
    write_shape(row, fl, ring, n)
    write_averages(row, fl, ring, n)
    write_oscillators(row, fl, ring, n)
    write_volatility(row, fl, n)
    write_minmax(row, it, ring, deq, n)
    write_volume(row, fl, ring, n)
    write_patterns(row, ring, n)
    write_time(row, t)
    for k in range(len(layout.HTF_MULTS)):
        htf_write(row, fl, it, ring, k, ring[layout.SER_CLOSE, n & M])


@njit(cache=True, error_model="numpy")
def first_problem(ts: I64, o: F64, h: F64, lo: F64, c: F64, v: F64, last_ts: int) -> int:
    """OUT_OF_ORDER, INVALID_BAR or OK, checked before any state changes."""
    prev = last_ts
    for i in range(ts.shape[0]):
        if ts[i] <= prev:
            return OUT_OF_ORDER
        prev = ts[i]
        valid = 0.0 < lo[i] <= min(o[i], c[i]) and max(o[i], c[i]) <= h[i] < np.inf
        if not (valid and 0.0 <= v[i] < np.inf):
            return INVALID_BAR
    return OK


@njit(cache=True, error_model="numpy")
def run(
    bars: tuple[I64, F64, F64, F64, F64, F64],
    state: tuple[F64, I64, F64, I64],
    tf: int,
    sel: I64,
    need: I64,
    out_ts: I64,
    out: F64,
) -> int:
    """Advance `state` over `bars` (ts, o, h, l, c, v); write emitted rows; return their count.

    Returns -OUT_OF_ORDER or -INVALID_BAR without touching the state if a bar is bad.
    """
    ts, o, h, lo, c, v = bars
    fl, it, ring, deq = state
    last = it[layout.I_LAST_TS] if it[layout.I_SEEN] > 0 else np.iinfo(np.int64).min
    problem = first_problem(ts, o, h, lo, c, v, last)
    if problem != OK:
        return -problem
    row = np.empty(columns.N_COLS)
    m = 0
    for i in range(ts.shape[0]):
        fill_gap(fl, it, ring, deq, tf, ts[i])
        update(fl, it, ring, deq, tf, ts[i], o[i], h[i], lo[i], c[i], v[i])
        if ready(it, need):
            write_row(row, fl, it, ring, deq, ts[i])
            for j in range(sel.shape[0]):
                out[m, j] = row[sel[j]]
            out_ts[m] = ts[i]
            m += 1
    return m
