"""Bar files on disk (Parquet or CSV, chosen by suffix) to and from `Bars`.

A file holds the columns ts, open, high, low, close, volume, symbol and optionally
timeframe, for any number of series. `ts` is UTC ms of the bar's open, either as an
integer or as a timestamp (naive timestamps are taken as UTC).
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import BAR_COLUMNS, OHLCV

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

TIMEFRAME_COLUMN = "timeframe"
CSV_SUFFIXES = (".csv", ".csv.gz")
FILE_SCHEMA = pa.schema(
    [("ts", pa.int64())]
    + [(c, pa.float64()) for c in OHLCV]
    + [("symbol", pa.string()), (TIMEFRAME_COLUMN, pa.string())]
)


def _is_csv(path: Path) -> bool:
    return path.name.lower().endswith(CSV_SUFFIXES)


def require_file(path: Path) -> None:
    """A missing file as FileNotFoundError naming it (pyarrow's error names it only in its text)."""
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, "no such bar file", str(path))
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "a bar file, not a folder", str(path))


def _read_table(path: Path) -> pa.Table:
    require_file(path)
    if _is_csv(path):
        return pcsv.read_csv(path)
    return pq.read_table(path)


def _ts_ms(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The ts column as int64 UTC milliseconds."""
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.timestamp("ms", tz=column.type.tz), safe=False)
    return _cast(column, "ts", pa.int64())


def _cast(column: pa.ChunkedArray, name: str, to: pa.DataType) -> pa.ChunkedArray:
    """The column as `to`, or a ValueError naming the column and the first row that is not a number."""
    try:
        return column.cast(to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        row = _first_bad_row(column, to)
        value = column[row].as_py()
        raise ValueError(f"bar file column {name!r}, row {row + 1}: {value!r} is not a number") from None


def _first_bad_row(column: pa.ChunkedArray, to: pa.DataType) -> int:
    """Bisect for the first row that does not cast (a few casts, however long the file)."""
    lo, hi = 0, len(column)  # the first bad row is in [lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            column.slice(lo, mid - lo).cast(to)
            lo = mid
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hi = mid
    return lo


def _normalised(table: pa.Table, default_timeframe: str) -> pa.Table:
    """Required columns with fixed types, plus a timeframe column."""
    missing = [c for c in BAR_COLUMNS if c not in table.column_names]
    if missing:
        raise ValueError(f"bar file lacks columns {missing}; needs {list(BAR_COLUMNS)}")
    if table.column("ts").null_count:
        raise ValueError("bar file has empty ts values")
    columns = {"ts": _ts_ms(table.column("ts"))}
    columns |= {c: _cast(table.column(c), c, pa.float64()) for c in OHLCV}
    columns["symbol"] = table.column("symbol").cast(pa.string())
    if TIMEFRAME_COLUMN in table.column_names:
        columns[TIMEFRAME_COLUMN] = table.column(TIMEFRAME_COLUMN).cast(pa.string())
    else:
        columns[TIMEFRAME_COLUMN] = pa.chunked_array([pa.array([default_timeframe] * len(table))])
    if columns["symbol"].null_count or columns[TIMEFRAME_COLUMN].null_count:
        raise ValueError("bar file has empty symbol or timeframe values")
    return pa.table(columns)


def _series_of(table: pa.Table, symbol: str, timeframe: str) -> Bars:
    ts = table.column("ts").to_numpy().astype(np.int64)
    order = np.argsort(ts, kind="stable")
    cols = [table.column(c).to_numpy().astype(np.float64)[order] for c in OHLCV]
    return Bars(symbol, timeframe, ts[order], *cols)


def bars_from_table(table: pa.Table, default_timeframe: str = "5m") -> list[Bars]:
    """One `Bars` per (symbol, timeframe) in the table, each sorted by ts."""
    table = _normalised(table, default_timeframe)
    keys = table.select(["symbol", TIMEFRAME_COLUMN]).group_by(["symbol", TIMEFRAME_COLUMN])
    out = []
    for key in keys.aggregate([]).to_pylist():
        symbol, timeframe = str(key["symbol"]), str(key[TIMEFRAME_COLUMN])
        mask = pc.and_(
            pc.equal(table.column("symbol"), symbol),
            pc.equal(table.column(TIMEFRAME_COLUMN), timeframe),
        )
        out.append(_series_of(table.filter(mask), symbol, timeframe))
    return sorted(out, key=lambda b: (b.symbol, b.timeframe))


def read_bar_file(path: Path, default_timeframe: str = "5m") -> list[Bars]:
    """Every series in a Parquet or CSV bar file, each sorted by ts."""
    return bars_from_table(_read_table(path), default_timeframe)


def bars_to_table(series: Sequence[Bars]) -> pa.Table:
    """Rows of several series in one table with symbol and timeframe columns."""
    tables = [
        pa.table(
            {
                "ts": b.ts,
                **{c: getattr(b, c) for c in OHLCV},
                "symbol": pa.array([b.symbol] * len(b), pa.string()),
                TIMEFRAME_COLUMN: pa.array([b.timeframe] * len(b), pa.string()),
            },
            schema=FILE_SCHEMA,
        )
        for b in series
    ]
    if not tables:
        return FILE_SCHEMA.empty_table()
    return pa.concat_tables(tables)


def write_bar_file(path: Path, series: Sequence[Bars]) -> None:
    """Write series to a bar file: CSV when the suffix says so, else Parquet."""
    table = bars_to_table(series)
    if _is_csv(path):
        pcsv.write_csv(table, path)
    else:
        pq.write_table(table, path)
