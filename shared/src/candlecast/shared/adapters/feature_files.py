"""`compute_file`: bars from Parquet or CSV in, feature rows as Parquet out (pyarrow only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.core.bars import Bars, first_per_ts
from candlecast.shared.core.features.catalog import DEFAULT
from candlecast.shared.core.features.engine import compute
from candlecast.shared.core.features.specs import FeatureSet

DEFAULT_TIMEFRAME = "5m"


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
    """Features of every series in `input_path` (rows per symbol in ts order); return rows written.

    `timeframe` applies where the file has no timeframe column (default 5m). Repeated
    timestamps keep their first row, as the bar store does.
    """
    series = read_bar_file(Path(input_path), timeframe or DEFAULT_TIMEFRAME)
    tables = [rows_table(first_per_ts(bars), feature_set) for bars in series]
    if not tables:
        raise ValueError(f"{input_path} holds no bars")
    out = pa.concat_tables(tables)
    pq.write_table(out, output_path)
    return int(out.num_rows)
