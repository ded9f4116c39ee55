"""`compute_file`: multi-symbol CSV and Parquet in, one Parquet of feature rows out."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from candlecast.shared.adapters.feature_files import compute_file
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import SEED, compute

COLUMNS = ("ts", "open", "high", "low", "close", "volume")


def rounded(bars: Bars, symbol: str) -> Bars:
    """Prices with few decimals so CSV text round-trips exactly."""
    r = [np.round(x, 4) for x in (bars.open, bars.high, bars.low, bars.close, bars.volume)]
    o, c = r[0], r[3]
    return Bars(
        symbol,
        "5m",
        bars.ts,
        o,
        np.maximum(r[1], np.maximum(o, c)),
        np.minimum(r[2], np.minimum(o, c)),
        c,
        r[4],
    )


def bars_table(series: list[Bars]) -> pa.Table:
    """Rows of several symbols, interleaved and shuffled (compute_file must sort them)."""
    parts = {c: np.concatenate([getattr(b, c) for b in series]) for c in COLUMNS}
    parts["symbol"] = np.concatenate([[b.symbol] * len(b) for b in series])
    order = np.random.default_rng(0).permutation(len(parts["ts"]))
    return pa.table({k: v[order] for k, v in parts.items()})


@pytest.fixture
def series(make_bars) -> list[Bars]:
    return [rounded(make_bars(900, seed=1), "AAA"), rounded(make_bars(700, seed=2, price=5.0), "BBB")]


def check_output(path, series: list[Bars], timeframe: str = "5m") -> None:
    out = pq.read_table(path)
    assert out.column_names == ["ts", "symbol", "timeframe", *SEED.names]
    assert set(out["timeframe"].to_pylist()) == {timeframe}
    for bars in series:
        part = out.filter(pc.equal(out["symbol"], bars.symbol))
        expected = compute(bars, SEED)
        assert np.array_equal(part["ts"].to_numpy(), expected.ts)
        got = np.column_stack([part[name].to_numpy() for name in SEED.names])
        assert np.array_equal(got, expected.values)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_compute_file_writes_every_symbol(tmp_path, series, fmt):
    table = bars_table(series)
    source = tmp_path / f"bars.{fmt}"
    if fmt == "csv":
        pa_csv.write_csv(table, source)
    else:
        pq.write_table(table, source)
    written = compute_file(source, tmp_path / "out.parquet", SEED, timeframe="5m")
    assert written == sum(len(compute(b, SEED)) for b in series)
    check_output(tmp_path / "out.parquet", series)


def hourly(bars: Bars) -> Bars:
    """The same prices as 1h bars (gaps kept): 5m maths would differ (fills, HTF periods)."""
    ts = bars.ts[0] // 3_600_000 * 3_600_000 + (bars.ts - bars.ts[0]) * 12
    return Bars(bars.symbol, "1h", ts, bars.open, bars.high, bars.low, bars.close, bars.volume)


def test_timeframe_column_wins_over_the_default(tmp_path, series):
    series = [hourly(b) for b in series]
    table = bars_table(series)
    table = table.append_column("timeframe", pa.array(["1h"] * table.num_rows))
    pq.write_table(table, tmp_path / "bars.parquet")
    compute_file(tmp_path / "bars.parquet", tmp_path / "out.parquet", SEED, timeframe="5m")
    check_output(tmp_path / "out.parquet", series, timeframe="1h")


def test_no_timeframe_column_means_5m_and_repeated_ts_keep_the_first(tmp_path, series):
    table = bars_table(series)
    doubled = pa.concat_tables([table, table.slice(0, 7).set_column(1, "open", pa.array([1e9] * 7))])
    pq.write_table(doubled, tmp_path / "bars.parquet")
    compute_file(tmp_path / "bars.parquet", tmp_path / "out.parquet", SEED)
    out = pq.read_table(tmp_path / "out.parquet")
    assert set(out["timeframe"].to_pylist()) == {"5m"}
    first = next(b for b in series if b.symbol == out["symbol"][0].as_py())
    assert np.array_equal(
        out.filter(pc.equal(out["symbol"], first.symbol))["close"].to_numpy(),
        compute(first, SEED).values[:, 0],
    )
