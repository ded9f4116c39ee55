"""The kernel's output columns, in order: offsets for the compiled code, a table for Python.

Each column knows how many bars it needs before its window is full: base bars,
and closed bars of each higher timeframe (HTF). A row is emitted only when every
selected column's needs are met.
"""

from __future__ import annotations

from dataclasses import dataclass

from candlecast.shared.core.features import layout

C_CLOSE = 0
C_RET = 1
C_LOGRET = C_RET + len(layout.RET_LAGS)
C_ACCEL = C_LOGRET + len(layout.LOGRET_LAGS)
C_UP = C_ACCEL + len(layout.ACCEL_LAGS)
C_SHAPE = C_UP + len(layout.UP_WINDOWS)
SHAPE_NAMES = (
    "hl_range",
    "oc_ret",
    "body_ratio",
    "upper_wick",
    "lower_wick",
    "upper_wick_ratio",
    "lower_wick_ratio",
    "close_pos",
)
C_GAP_OPEN = C_SHAPE + len(SHAPE_NAMES)
C_RANGE_RATIO = C_GAP_OPEN + 1
C_SMA = C_RANGE_RATIO + 1
C_EMA = C_SMA + len(layout.MA_WINDOWS)
C_Z = C_EMA + len(layout.MA_WINDOWS)
C_MACD = C_Z + len(layout.MA_WINDOWS)
C_RSI = C_MACD + 3
C_STOCH = C_RSI + len(layout.RSI_WINDOWS)
C_BB = C_STOCH + 2
C_ATR = C_BB + 2
C_RVOL = C_ATR + len(layout.ATR_WINDOWS)
C_RVOL_RATIO = C_RVOL + len(layout.RVOL_WINDOWS)
C_PARKINSON = C_RVOL_RATIO + 1
C_MINMAX = C_PARKINSON + 1  # dist_max, dist_min, since_max, since_min blocks
C_VOLUME = C_MINMAX + 4 * len(layout.MINMAX_WINDOWS)  # volume_z block, volume_ratio block
C_PATTERN = C_VOLUME + 2 * len(layout.VOLUME_WINDOWS)
PATTERN_NAMES = ("doji", "hammer", "shooting_star", "bull_engulf", "bear_engulf")
C_TIME = C_PATTERN + len(PATTERN_NAMES)
C_HTF = C_TIME + 4
HTF_NAMES = (
    *(f"ret_{k}" for k in layout.HTF_RET_LAGS),
    "rsi_14",
    "sma_gap_20",
    "range",
    "body",
    "dist_close",
    "dist_high",
    "dist_low",
    "rvol_10",
)
N_HTF_COLS = len(HTF_NAMES)
N_COLS = C_HTF + N_HTF_COLS * len(layout.HTF_MULTS)


@dataclass(frozen=True, slots=True)
class Column:
    """One kernel output: its name, needs and the spec fields that describe it."""

    name: str
    category: str
    inputs: tuple[str, ...]
    windows: tuple[int, ...]
    description: str
    need_bars: int
    need_htf: tuple[int, ...] = (0,) * len(layout.HTF_MULTS)


def _c(name: str, category: str, inputs: str, windows: tuple[int, ...], need: int, text: str) -> Column:
    return Column(name, category, tuple(inputs.split()), windows, text, need)


def _returns() -> list[Column]:
    cols = [_c("close", "price", "close", (), 1, "raw close")]
    cols += [
        _c(f"ret_{k}", "returns", "close", (k,), k + 1, f"close / close {k} bars ago - 1")
        for k in layout.RET_LAGS
    ]
    cols += [
        _c(f"logret_{k}", "returns", "close", (k,), k + 1, f"log(close / close {k} bars ago)")
        for k in layout.LOGRET_LAGS
    ]
    cols += [
        _c(f"accel_{k}", "momentum", "close", (k,), 2 * k + 1, f"ret_{k} minus ret_{k} {k} bars ago")
        for k in layout.ACCEL_LAGS
    ]
    cols += [
        _c(f"up_frac_{w}", "momentum", "close", (w,), w + 1, f"share of up closes in {w} bars")
        for w in layout.UP_WINDOWS
    ]
    return cols


def _shape() -> list[Column]:
    texts = (
        "(high - low) / close",
        "close / open - 1",
        "(close - open) / (high - low), 0 when flat",
        "(high - max(open, close)) / close",
        "(min(open, close) - low) / close",
        "upper wick / (high - low), 0 when flat",
        "lower wick / (high - low), 0 when flat",
        "(close - low) / (high - low), 0.5 when flat",
    )
    cols = [
        _c(n, "bar_shape", "open high low close", (), 1, t) for n, t in zip(SHAPE_NAMES, texts, strict=True)
    ]
    cols.append(_c("gap_open", "bar_shape", "open close", (1,), 2, "open / previous close - 1"))
    w = layout.RANGE_WINDOW
    cols.append(
        _c(f"range_ratio_{w}", "bar_shape", "high low close", (w,), w, f"hl_range / its {w}-bar mean")
    )
    return cols


def _averages() -> list[Column]:
    ws = layout.MA_WINDOWS
    cols = [_c(f"sma_gap_{w}", "moving_average", "close", (w,), w, f"close / SMA{w} - 1") for w in ws]
    cols += [_c(f"ema_gap_{w}", "moving_average", "close", (w,), w, f"close / EMA(span {w}) - 1") for w in ws]
    cols += [
        _c(f"zscore_{w}", "zscore", "close", (w,), w, f"(close - SMA{w}) / std{w}, 0 if std 0") for w in ws
    ]
    spans = (layout.MACD_FAST, layout.MACD_SLOW, layout.MACD_SIGNAL)
    need = layout.MACD_SLOW + layout.MACD_SIGNAL
    cols += [
        _c("macd", "oscillator", "close", spans, layout.MACD_SLOW, "(EMA12 - EMA26) / close"),
        _c("macd_signal", "oscillator", "close", spans, need, "EMA9 of (EMA12 - EMA26), / close"),
        _c("macd_hist", "oscillator", "close", spans, need, "macd - macd_signal"),
    ]
    return cols


def _oscillators() -> list[Column]:
    cols = [
        _c(f"rsi_{w}", "oscillator", "close", (w,), w + 1, f"Wilder RSI {w}, 50 with no moves")
        for w in layout.RSI_WINDOWS
    ]
    k, d, b = layout.STOCH_WINDOW, layout.STOCH_SMOOTH, layout.BB_WINDOW
    cols += [
        _c(f"stoch_k_{k}", "oscillator", "high low close", (k,), k, "stochastic %K, 50 with zero range"),
        _c(f"stoch_d_{k}", "oscillator", "high low close", (k, d), k + d - 1, f"{d}-bar mean of %K"),
        _c(f"bb_pctb_{b}", "volatility", "close", (b,), b, "Bollinger %B (2 std), 0.5 if std 0"),
        _c(f"bb_width_{b}", "volatility", "close", (b,), b, "Bollinger width 4 std / SMA"),
    ]
    cols += [
        _c(f"atr_{w}", "volatility", "high low close", (w,), w + 1, f"Wilder ATR {w} / close")
        for w in layout.ATR_WINDOWS
    ]
    cols += [
        _c(f"rvol_{w}", "volatility", "close", (w,), w + 1, f"std of log returns over {w} bars")
        for w in layout.RVOL_WINDOWS
    ]
    cols.append(_c("rvol_ratio_5_50", "volatility", "close", (5, 50), 51, "rvol_5 / rvol_50, 1 if 0"))
    w = layout.RANGE_WINDOW
    cols.append(_c(f"parkinson_{w}", "volatility", "high low", (w,), w, "Parkinson volatility"))
    return cols


def _minmax() -> list[Column]:
    ws = layout.MINMAX_WINDOWS
    cols = [_c(f"dist_max_{w}", "range", "high close", (w,), w, f"close / max high {w} - 1") for w in ws]
    cols += [_c(f"dist_min_{w}", "range", "low close", (w,), w, f"close / min low {w} - 1") for w in ws]
    cols += [_c(f"since_max_{w}", "range", "high", (w,), w, f"bars since the {w}-bar high / {w}") for w in ws]
    cols += [_c(f"since_min_{w}", "range", "low", (w,), w, f"bars since the {w}-bar low / {w}") for w in ws]
    return cols


def _volume_and_time() -> list[Column]:
    ws = layout.VOLUME_WINDOWS
    cols = [
        _c(f"volume_z_{w}", "volume", "volume", (w,), w, f"volume z-score over {w}, 0 if std 0") for w in ws
    ]
    cols += [_c(f"volume_ratio_{w}", "volume", "volume", (w,), w, f"volume / mean {w}, 1 if 0") for w in ws]
    needs = (1, 1, 1, 2, 2)
    for name, need in zip(PATTERN_NAMES, needs, strict=True):
        cols.append(_c(name, "pattern", "open high low close", (), need, f"{name} candle, 0 or 1"))
    for name in ("tod_sin", "tod_cos", "dow_sin", "dow_cos"):
        cols.append(_c(name, "time", "ts", (), 1, f"{name[:3]} cycle of the bar open, UTC"))
    return cols


def _htf() -> list[Column]:
    lags, rsi, sma, rvol = layout.HTF_RET_LAGS, layout.HTF_RSI, layout.HTF_SMA, layout.HTF_RVOL
    needs = (*(k + 1 for k in lags), rsi + 1, sma, 1, 1, 1, 1, 1, rvol + 1)
    windows = (*((k,) for k in lags), (rsi,), (sma,), (), (), (), (), (), (rvol,))
    cols = []
    for h, mult in enumerate(layout.HTF_MULTS):
        for name, need, win in zip(HTF_NAMES, needs, windows, strict=True):
            need_htf = tuple(need if i == h else 0 for i in range(len(layout.HTF_MULTS)))
            text = f"{name} of closed bars {mult}x the base timeframe"
            cols.append(
                Column(f"x{mult}_{name}", "multi_timeframe", ("ohlc",), (mult, *win), text, 1, need_htf)
            )
    return cols


COLUMNS: tuple[Column, ...] = tuple(
    _returns() + _shape() + _averages() + _oscillators() + _minmax() + _volume_and_time() + _htf()
)
INDEX: dict[str, int] = {c.name: i for i, c in enumerate(COLUMNS)}
assert len(COLUMNS) == N_COLS == len(INDEX)
assert INDEX["gap_open"] == C_GAP_OPEN
assert INDEX["x3_ret_1"] == C_HTF
