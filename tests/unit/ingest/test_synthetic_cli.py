"""`candlecast synthetic FILE`: a seeded bar file, the same as the library's market."""

import numpy as np
from numpy.testing import assert_array_equal

from candlecast.cli.main import main
from candlecast.ingest.app import IngestSettings, synthetic_source
from candlecast.ingest.cli import SYNTHETIC_START_TS
from candlecast.ingest.drivers import Regimes
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.adapters.barstore import BarStore


def test_writes_the_seeded_planted_market(tmp_path, capsys):
    out = tmp_path / "bars.parquet"
    argv = ["synthetic", str(out), "--symbols", "AAA,BBB", "--bars", "300", "--seed", "4", "--signal", "0.3"]
    assert main(argv) == 0
    assert "wrote 300 bars x 2 symbols" in capsys.readouterr().out
    got = {b.symbol: b for b in read_bar_file(out, "1m")}
    expected = synthetic_bars(["AAA", "BBB"], "1m", SYNTHETIC_START_TS, 300, seed=4, signal=0.3)
    for bars in expected:
        assert got[bars.symbol].timeframe == "1m"
        assert_array_equal(got[bars.symbol].ts, bars.ts)
        np.testing.assert_allclose(got[bars.symbol].close, bars.close, rtol=0, atol=0)


def test_correlated_symbols_with_regimes(tmp_path):
    out = tmp_path / "bars.parquet"
    argv = [
        "synthetic",
        str(out),
        "--symbols",
        "AAA,BBB",
        "--bars",
        "400",
        "--correlation",
        "0.6",
        "--regimes",
    ]
    assert main(argv) == 0
    got = {b.symbol: b for b in read_bar_file(out, "1m")}
    expected = synthetic_bars(
        ["AAA", "BBB"], "1m", SYNTHETIC_START_TS, 400, seed=7, correlation=0.6, regimes=Regimes()
    )
    for bars in expected:
        assert_array_equal(got[bars.symbol].close, bars.close)


def test_signal_out_of_range_is_a_usage_error(tmp_path, capsys):
    assert main(["synthetic", str(tmp_path / "x.parquet"), "--signal", "1.5"]) == 2
    assert not (tmp_path / "x.parquet").exists()


def test_settings_read_the_signal_from_the_environment(monkeypatch):
    monkeypatch.setenv("CANDLECAST_SYNTHETIC_SIGNAL", "0.25")
    assert IngestSettings().synthetic_signal == 0.25
    monkeypatch.delenv("CANDLECAST_SYNTHETIC_SIGNAL")
    assert IngestSettings().synthetic_signal == 0.0


def test_the_ingest_source_plants_the_configured_signal(tmp_path):
    settings = IngestSettings(synthetic_signal=0.3, symbols=["AAA"], home=tmp_path)
    assert synthetic_source(settings, BarStore(tmp_path)).signal == 0.3
