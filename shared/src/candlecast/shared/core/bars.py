"""One series of bars (one symbol, one timeframe) as columns of numpy arrays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import F64, I64, Index, Mask
from candlecast.shared.core.messages import BarClosed

Prices = tuple[float, float, float, float, float]  # open, high, low, close, volume
Columns = tuple[I64, F64, F64, F64, F64, F64]  # ts, open, high, low, close, volume


@dataclass(frozen=True, slots=True)
class Bars:
    """Bars of one series, sorted by `ts` (UTC ms of bar open) unless stated otherwise."""

    symbol: str
    timeframe: str
    ts: I64
    open: F64
    high: F64
    low: F64
    close: F64
    volume: F64

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def take(self, index: slice | Index | Mask) -> Bars:
        """Rows selected by a slice, integer index or mask."""
        return Bars(
            self.symbol,
            self.timeframe,
            self.ts[index],
            self.open[index],
            self.high[index],
            self.low[index],
            self.close[index],
            self.volume[index],
        )

    @classmethod
    def empty(cls, symbol: str, timeframe: str) -> Bars:
        f = np.empty(0, dtype=np.float64)
        return cls(symbol, timeframe, np.empty(0, dtype=np.int64), f, f, f, f, f)

    @classmethod
    def from_messages(cls, bars: Sequence[BarClosed]) -> Bars:
        """Columns from messages of one series (the caller groups by series)."""
        first = bars[0]
        return cls(
            first.symbol,
            first.timeframe,
            np.fromiter((b.ts for b in bars), dtype=np.int64, count=len(bars)),
            np.fromiter((b.open for b in bars), dtype=np.float64, count=len(bars)),
            np.fromiter((b.high for b in bars), dtype=np.float64, count=len(bars)),
            np.fromiter((b.low for b in bars), dtype=np.float64, count=len(bars)),
            np.fromiter((b.close for b in bars), dtype=np.float64, count=len(bars)),
            np.fromiter((b.volume for b in bars), dtype=np.float64, count=len(bars)),
        )

    def columns(self) -> Columns:
        """(ts, open, high, low, close, volume) as they are (from `from_messages`: contiguous int64
        and float64, what `features.advance_columns` reads)."""
        return self.ts, self.open, self.high, self.low, self.close, self.volume

    def rows(self) -> list[tuple[int, float, float, float, float, float]]:
        """(ts, open, high, low, close, volume) per bar, as Python numbers."""
        return list(
            zip(
                self.ts.tolist(),
                self.open.tolist(),
                self.high.tolist(),
                self.low.tolist(),
                self.close.tolist(),
                self.volume.tolist(),
                strict=True,
            )
        )

    def to_messages(self) -> list[BarClosed]:
        return [
            BarClosed(
                symbol=self.symbol,
                timeframe=self.timeframe,
                ts=int(t),
                open=float(o),
                high=float(h),
                low=float(lo),
                close=float(c),
                volume=float(v),
            )
            for t, o, h, lo, c, v in self.rows()
        ]


@dataclass(frozen=True, slots=True)
class Stacked:
    """The bars of several series in one set of columns, series after series; `columns` slices one."""

    whole: Columns  # contiguous: ts, and the open, high, low, close and volume rows of one (5, n) block

    @classmethod
    def of(cls, ts: Sequence[int], prices: Sequence[Prices]) -> Stacked:
        """Columns built in two numpy calls (not six per series); OverflowError for a ts over int64."""
        block = np.ascontiguousarray(np.array(prices, dtype=np.float64).reshape(len(prices), 5).T)
        o, h, lo, c, v = block
        return cls((np.array(ts, dtype=np.int64), o, h, lo, c, v))

    def columns(self, start: int, stop: int) -> Columns:
        """Rows start:stop (e.g. one series' bars) as contiguous views, no copy."""
        rows = slice(start, stop)
        ts, o, h, lo, c, v = self.whole
        return ts[rows], o[rows], h[rows], lo[rows], c[rows], v[rows]


def concat(parts: Sequence[Bars]) -> Bars:
    """Rows of several chunks of one series, in the given order."""
    first = parts[0]
    return Bars(
        first.symbol,
        first.timeframe,
        np.concatenate([p.ts for p in parts]),
        np.concatenate([p.open for p in parts]),
        np.concatenate([p.high for p in parts]),
        np.concatenate([p.low for p in parts]),
        np.concatenate([p.close for p in parts]),
        np.concatenate([p.volume for p in parts]),
    )


def valid_mask(bars: Bars) -> Mask:
    """Rows that pass `messages.bar_problem`, computed over the columns at once."""
    o, h, lo, c, v = bars.open, bars.high, bars.low, bars.close, bars.volume
    finite = np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c) & np.isfinite(v)
    with np.errstate(invalid="ignore"):
        positive = np.minimum(np.minimum(o, h), np.minimum(lo, c)) > 0
        ordered = (lo <= np.minimum(o, c)) & (np.maximum(o, c) <= h)
        return finite & positive & ordered & (v >= 0)


def first_per_ts(bars: Bars) -> Bars:
    """Rows sorted by ts with one row per ts: the earliest in the given order."""
    _, first = np.unique(bars.ts, return_index=True)
    return bars.take(first)
