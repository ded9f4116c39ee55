"""`candlecast snapshot create --exchange binance`: the real ccxt.binance against the local stand-in,
giving the same manifest and the same files as a snapshot of a bar store holding those bars."""

from __future__ import annotations

import json
from pathlib import Path

from candlecast.cli.main import main
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.snapshots import read_snapshot
from tests.support.binance_standin import Market, ServerClock, exchange_config, serve
from tests.support.data import real_bars

TF = 300_000
HELD = 2_000


def only_snapshot(parent: Path) -> Path:
    (folder,) = [p for p in parent.iterdir() if not p.name.startswith(".")]
    return folder


def test_a_snapshot_from_the_exchange_matches_one_from_the_store(tmp_path: Path, monkeypatch) -> None:
    bars = {s: real_bars(s).take(slice(0, HELD)) for s in ("BTCUSDT", "ETHUSDT")}
    last = int(bars["BTCUSDT"].ts[-1])
    market = Market(bars, clock=ServerClock(last + TF + 30_000), every_429=7)  # the last bar has closed
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path / "home"))
    with serve(market) as port:
        code = main(
            [
                "snapshot", "create", "--exchange", "binance", "--symbols", "BTC/USDT,ETH/USDT",
                "--timeframe", "5m", "--days", "3", "--out", str(tmp_path / "from_exchange"),
                "--exchange-config", json.dumps(exchange_config(port)),
            ]
        )  # fmt: skip
    assert code == 0
    assert market.klines_served > 0
    fetched, fetched_files = read_snapshot(only_snapshot(tmp_path / "from_exchange"))
    assert fetched.source == "exchange:binance"
    home_series = BarStore(tmp_path / "home").series("5m") if (tmp_path / "home").exists() else []
    assert not home_series, "fetched into a scratch store, not the home one"

    store = BarStore(tmp_path / "store_home")
    for series in bars.values():
        store.append(series)
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path / "store_home"))
    args = ["snapshot", "create", "--symbols", "BTCUSDT,ETHUSDT", "--timeframe", "5m", "--days", "3"]
    assert main([*args, "--out", str(tmp_path / "from_store")]) == 0
    stored, _ = read_snapshot(only_snapshot(tmp_path / "from_store"))
    assert (fetched.start_ts, fetched.end_ts, fetched.timeframe) == (stored.start_ts, stored.end_ts, "5m")
    assert [(f.symbol, f.rows, f.sha256) for f in fetched.files] == [
        (f.symbol, f.rows, f.sha256) for f in stored.files
    ]
    assert fetched.rows == 2 * 3 * 288, "three days of 5m bars per symbol"
    assert len(fetched_files) == 2


def test_bad_exchange_config_is_a_usage_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path))
    args = ["snapshot", "create", "--exchange", "binance", "--symbols", "BTC/USDT", "--days", "1"]
    assert main([*args, "--exchange-config", "{nope"]) == 2
    assert "not JSON" in capsys.readouterr().err
