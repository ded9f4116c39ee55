"""`compute_file`: bars from Parquet or CSV in, feature rows as Parquet out (pyarrow only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from candlecast.shared.bars import Bars
from candlecast.shared.constants import OHLCV
from candlecast.shared.features.catalog import DEFAULT
from candlecast.shared.features.engine import compute
from candlecast.shared.features.specs import FeatureSet


def read_bars_table(path: Path) -> pa.Table:
    if path.suffix.lower() == ".csv":
        return pa_csv.read_csv(path)
    return pq.read_table(path)


def series_of(table: pa.Table, timeframe: str | None) -> list[Bars]:
    """One `Bars` per (symbol, timeframe) in the table, each sorted by ts."""
    if "timeframe" not in table.column_names and timeframe is None:
        raise ValueError("no timeframe column: pass timeframe")
    if timeframe is not None or "timeframe" not in table.column_names:
        table = table.drop_columns([c for c in ("timeframe",) if c in table.column_names])
        table = table.append_column("timeframe", pa.array([timeframe] * table.num_rows, pa.string()))
    keys = table.select(["symbol", "timeframe"]).group_by(["symbol", "timeframe"]).aggregate([])
    series = []
    for symbol, tf in sorted(zip(keys["symbol"].to_pylist(), keys["timeframe"].to_pylist(), strict=True)):
        mask = pc.and_(pc.equal(table["symbol"], symbol), pc.equal(table["timeframe"], tf))
        part = table.filter(mask).sort_by("ts")
        prices = [part[c].cast(pa.float64()).to_numpy() for c in OHLCV]
        series.append(Bars(str(symbol), str(tf), part["ts"].cast(pa.int64()).to_numpy(), *prices))
    return series


def rows_table(bars: Bars, feature_set: FeatureSet) -> pa.Table:
    rows = compute(bars, feature_set)
    n = len(rows)
    columns: dict[str, pa.Array] = {
        "ts": pa.array(rows.ts, pa.int64()),
        "symbol": pa.array([bars.symbol] * n, pa.string()),
        "timeframe": pa.array([bars.timeframe] * n, pa.string()),
    }
    values = np.asfortranarray(rows.values)
    for j, name in enumerate(rows.names):
        columns[name] = pa.array(values[:, j], pa.float64())
    return pa.table(columns)


def compute_file(
    input_path: Path, output_path: Path, feature_set: FeatureSet = DEFAULT, timeframe: str | None = None
) -> int:
    """Features of every series in `input_path` (rows per symbol in ts order); return rows written."""
    tables = [
        rows_table(bars, feature_set) for bars in series_of(read_bars_table(Path(input_path)), timeframe)
    ]
    if not tables:
        raise ValueError(f"{input_path} holds no bars")
    out = pa.concat_tables(tables)
    pq.write_table(out, output_path)
    return int(out.num_rows)
