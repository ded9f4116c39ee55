"""The kernel's fixed layout: windows, state slots and output columns.

The compiled code reads these module constants (numba freezes them at compile
time). Changing any of them changes the maths: bump `ENGINE_VERSION`.
"""

from __future__ import annotations

ENGINE_VERSION = 1
MAX_FILL_BARS = 12

# Ring buffers: bar j (1-based since the last reset) lives at column j & RING_MASK.
RING_CAP = 256
RING_MASK = RING_CAP - 1

RET_LAGS = (1, 2, 3, 5, 10, 20, 50, 100)
LOGRET_LAGS = (1, 2, 3, 5, 10, 20)
ACCEL_LAGS = (1, 5, 10)
UP_WINDOWS = (10, 20)
MA_WINDOWS = (5, 10, 20, 50, 100, 200)
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
RSI_WINDOWS = (7, 14, 28)
STOCH_WINDOW, STOCH_SMOOTH = 14, 3
BB_WINDOW, BB_WIDTH = 20, 2.0
ATR_WINDOWS = (7, 14)
RVOL_WINDOWS = (5, 10, 20, 50, 100, 200)
RANGE_WINDOW = 20
MINMAX_WINDOWS = (10, 20, 50, 100, 200)
VOLUME_WINDOWS = (10, 20, 50)
HTF_MULTS = (3, 12)
HTF_RET_LAGS = (1, 4)
HTF_RSI, HTF_SMA, HTF_RVOL = 14, 20, 10

# Base ring series (rows of `ring`); HTF rings follow: closes then log returns per HTF.
SER_CLOSE, SER_OPEN, SER_HIGH, SER_LOW, SER_VOLUME = 0, 1, 2, 3, 4
SER_LOGRET, SER_UP, SER_HL, SER_PK, SER_STOCHK = 5, 6, 7, 8, 9
SER_HTF = 10
N_SER = SER_HTF + 2 * len(HTF_MULTS)

# Rolling mean/std slots: one per (series, window).
ST_CLOSE = 0
ST_LOGRET = ST_CLOSE + len(MA_WINDOWS)
ST_VOLUME = ST_LOGRET + len(RVOL_WINDOWS)
ST_UP = ST_VOLUME + len(VOLUME_WINDOWS)
ST_HL = ST_UP + len(UP_WINDOWS)
ST_PK = ST_HL + 1
STAT_SERIES = (
    (SER_CLOSE,) * len(MA_WINDOWS)
    + (SER_LOGRET,) * len(RVOL_WINDOWS)
    + (SER_VOLUME,) * len(VOLUME_WINDOWS)
    + (SER_UP,) * len(UP_WINDOWS)
    + (SER_HL, SER_PK)
)
ST_BB = ST_CLOSE + MA_WINDOWS.index(BB_WINDOW)
RVOL_FAST, RVOL_SLOW = RVOL_WINDOWS.index(5), RVOL_WINDOWS.index(50)
STAT_WINDOWS = MA_WINDOWS + RVOL_WINDOWS + VOLUME_WINDOWS + UP_WINDOWS + (RANGE_WINDOW, RANGE_WINDOW)
N_STAT = len(STAT_WINDOWS)
STAT_SIZE = 4  # mean of (value - ref), M2, ref, peak M2 since the last exact recompute

# Monotonic deques: maxima of highs first, then minima of lows, each over these windows.
DQ_WINDOWS = (*MINMAX_WINDOWS, STOCH_WINDOW)
N_DQ = 2 * len(DQ_WINDOWS)

# Float scalars `fl`.
F_EMA = 0
F_MACD = F_EMA + len(MA_WINDOWS)  # fast EMA, slow EMA, signal EMA
F_RSI = F_MACD + 3  # (average gain, average loss) per window
F_ATR = F_RSI + 2 * len(RSI_WINDOWS)
F_STAT = F_ATR + len(ATR_WINDOWS)
F_HTF = F_STAT + STAT_SIZE * N_STAT
# Per HTF: forming o h l c, last closed o h l c, RSI gain/loss, SMA, realised vol.
HF_FO, HF_FH, HF_FL, HF_FC = 0, 1, 2, 3
HF_O, HF_H, HF_L, HF_C = 4, 5, 6, 7
HF_GAIN, HF_LOSS, HF_SMA, HF_RVOL = 8, 9, 10, 11
N_HF = 12
N_FL = F_HTF + N_HF * len(HTF_MULTS)

# Integer scalars `it`.
I_N, I_LAST_TS, I_SEEN = 0, 1, 2  # bars since reset, last ts, bars ever seen
I_DQ = 3  # (head, tail) per deque
I_HTF = I_DQ + 2 * N_DQ
HI_START, HI_ACTIVE, HI_COUNT = 0, 1, 2  # forming period start, forming?, closed bars
N_HI = 3
N_IT = I_HTF + N_HI * len(HTF_MULTS)
