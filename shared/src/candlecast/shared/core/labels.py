"""Training targets for one series, kept apart from features: they look into the future.

Every function takes columns of one series sorted by time and returns one row per bar;
rows whose horizon runs past the end are NaN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from candlecast.shared.core.arrays import F64, Index

LABEL_PREFIX = "label_"
OHLC_FIELDS = ("open", "high", "low", "close")


def label_names(h: int, H: int) -> tuple[str, ...]:
    """Names of the labels for horizon `h` and an `H`-bar OHLC forecast."""
    ohlc = tuple(f"{LABEL_PREFIX}ohlc_k{k}_{field}" for k in range(1, H + 1) for field in OHLC_FIELDS)
    return (f"{LABEL_PREFIX}up_h{h}", f"{LABEL_PREFIX}logret_h{h}", *ohlc)


def assert_no_label_columns(names: Sequence[str]) -> None:
    """Refuse a feature list that contains a label (a leak from the future): any `label_` name."""
    leaks = [n for n in names if n.lower().startswith(LABEL_PREFIX)]
    if leaks:
        raise ValueError(f"label columns among features: {leaks}")


def _check_horizon(h: int) -> None:
    if h < 1:
        raise ValueError(f"horizon must be >= 1, got {h}")


def up_label(close: F64, h: int) -> F64:
    """1.0 when close[t + h] > close[t], else 0.0; NaN where t + h is past the end."""
    _check_horizon(h)
    n = close.shape[0]
    out = np.full(n, np.nan)
    if h < n:
        out[: n - h] = (close[h:] > close[: n - h]).astype(np.float64)
    return out


def forward_log_return(close: F64, h: int) -> F64:
    """log(close[t + h] / close[t]); NaN where t + h is past the end."""
    _check_horizon(h)
    n = close.shape[0]
    out = np.full(n, np.nan)
    if h < n:
        out[: n - h] = np.log(close[h:] / close[: n - h])
    return out


def forward_ohlc(open_: F64, high: F64, low: F64, close: F64, H: int) -> F64:
    """The next `H` bars' open, high, low, close relative to close[t], shape (n, H, 4).

    out[t, k - 1] = (open, high, low, close)[t + k] / close[t] - 1; NaN past the end.
    """
    _check_horizon(H)
    n = close.shape[0]
    ohlc = np.stack([open_, high, low, close], axis=1).astype(np.float64)
    out = np.full((n, H, 4), np.nan)
    for k in range(1, min(H, n - 1) + 1):
        out[: n - k, k - 1, :] = ohlc[k:] / close[: n - k, None] - 1.0
    return out


def forward_ohlc_log(open_: F64, high: F64, low: F64, close: F64, H: int, at: Index) -> F64:
    """log((open, high, low, close)[t + k] / close[t]) for k = 1..H at rows `at`, shape (len(at), H, 4).

    Any `H` (the forecaster goes to 300 steps); only the rows asked for are built, so a long
    path over a long series stays small. NaN where t + k is past the end.
    """
    _check_horizon(H)
    n = close.shape[0]
    log_ohlc = np.log(np.stack([open_, high, low, close], axis=1).astype(np.float64))
    ahead = at[:, None] + np.arange(1, H + 1)[None, :]
    out = log_ohlc[np.minimum(ahead, n - 1)] - np.log(close[at])[:, None, None]
    out[ahead >= n] = np.nan
    return np.asarray(out, dtype=np.float64)
