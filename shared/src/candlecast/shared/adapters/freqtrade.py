"""freqtrade's candle files (`BTC_USDT-5m.feather`) and a reader for any bar file by suffix.

freqtrade writes one series per file: columns date, open, high, low, close, volume, where
`date` is the candle's open time as a tz-aware timestamp (its unit varies: ns, or us under
pandas 3; it is converted by the Arrow type's own unit). The pair and timeframe are in the
file name: `BASE_QUOTE-TF.feather`, futures `BASE_QUOTE_SETTLE-TF-futures.feather`.
Stream symbols drop the slash: BTC_USDT -> BTCUSDT, BTC_USDT_USDT -> BTCUSDT:USDT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.feather as pf

from candlecast.shared.adapters.barfile import bars_from_table, read_bar_file, require_file
from candlecast.shared.core.constants import OHLCV
from candlecast.shared.core.timeframes import timeframe_ms

if TYPE_CHECKING:
    from pathlib import Path

    from candlecast.shared.core.bars import Bars

FEATHER_SUFFIXES = (".feather", ".arrow")


def is_feather(path: Path) -> bool:
    return path.name.lower().endswith(FEATHER_SUFFIXES)


def name_parts(path: Path) -> tuple[str | None, str | None]:
    """(stream symbol, timeframe) from a freqtrade file name; None where it does not say."""
    stem = path.name.split(".")[0]
    pair, _, rest = stem.partition("-")
    timeframe = rest.split("-")[0] if rest else None
    if timeframe is not None:
        try:
            timeframe_ms(timeframe)
        except ValueError:
            timeframe = None
    coins = [c for c in pair.split("_") if c]
    if len(coins) < 2:
        return None, timeframe
    symbol = coins[0] + coins[1] + "".join(f":{c}" for c in coins[2:])
    return symbol, timeframe


def read_feather(
    path: Path, symbol: str | None = None, timeframe: str | None = None, default_timeframe: str = "5m"
) -> list[Bars]:
    """One series from a freqtrade feather file (a file with our own columns works too).
    Given `symbol`/`timeframe` win over the file name, which wins over `default_timeframe`."""
    require_file(path)
    table = pf.read_table(path)
    if "symbol" in table.column_names and "ts" in table.column_names:
        return bars_from_table(table, timeframe or default_timeframe)
    named_symbol, named_tf = name_parts(path)
    symbol, timeframe = symbol or named_symbol, timeframe or named_tf or default_timeframe
    if symbol is None:
        raise ValueError(f"{path.name}: name it like BTC_USDT-5m.feather or give the symbol")
    missing = [c for c in ("date", *OHLCV) if c not in table.column_names]
    if missing:
        raise ValueError(f"{path.name} lacks freqtrade columns {missing}")
    columns = {"ts": table.column("date"), **{c: table.column(c) for c in OHLCV}}
    columns["symbol"] = pa.chunked_array([pa.array([symbol] * len(table), pa.string())])
    return bars_from_table(pa.table(columns), timeframe)


def read_any_bars(
    path: Path, default_timeframe: str, symbol: str | None = None, timeframe: str | None = None
) -> list[Bars]:
    """Parquet, CSV or feather, chosen by suffix (`symbol` only for a feather file that has none)."""
    if is_feather(path):
        return read_feather(path, symbol, timeframe, default_timeframe)
    return read_bar_file(path, timeframe or default_timeframe)
