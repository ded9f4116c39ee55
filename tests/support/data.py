"""The small real OHLCV files kept in the repository (tests/data), read without candlecast's adapters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import OHLCV

DATA = Path(__file__).resolve().parents[1] / "data"
SYMBOLS = ("BTCUSDT", "ETHUSDT")


def real_path(symbol: str) -> Path:
    return DATA / f"{symbol}_5m.parquet"


def real_bars(symbol: str) -> Bars:
    """5,000 consecutive real 5m bars of BTCUSDT or ETHUSDT."""
    table = pq.read_table(real_path(symbol))
    columns = [table[c].to_numpy() for c in OHLCV]
    return Bars(symbol, "5m", table["ts"].to_numpy().astype(np.int64), *columns)
