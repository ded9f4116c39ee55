"""Online equals offline, through the real processes: `run features` + `replay` vs `features compute`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import redis

from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barfile import write_bar_file
from candlecast.shared.core.features import DEFAULT, MAX_FILL_BARS
from tests.support.fleet import Fleet

pytestmark = [pytest.mark.redis, pytest.mark.e2e]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "candlecast.cli", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)


def gappy_file(path: Path) -> Path:
    """Two symbols; small gaps (filled) and one long gap (state reset) in the first."""
    a, b = synthetic_bars(["GAPPY", "PLAIN"], "5m", 1_735_689_600_000, 1_500, seed=8)
    keep = np.ones(len(a), dtype=bool)
    keep[[300, 301, 302, 650]] = False  # filled
    keep[900 : 900 + MAX_FILL_BARS + 5] = False  # too long: warm-up again
    write_bar_file(path, [a.take(keep), b])
    return path


def test_service_rows_equal_batch_rows_exactly(redis_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "CANDLECAST_REDIS_URL": redis_url, "CANDLECAST_HOME": str(tmp_path / "home")}
    bars = gappy_file(tmp_path / "bars.parquet")
    offline = cli(env, "features", "compute", str(bars), str(tmp_path / "features.parquet"))
    assert offline.returncode == 0, offline.stderr
    table = pq.read_table(tmp_path / "features.parquet")
    expected = {
        (s, t): i
        for i, (s, t) in enumerate(zip(table["symbol"].to_pylist(), table["ts"].to_pylist(), strict=True))
    }
    assert set(DEFAULT.names) <= set(table.column_names)

    fleet = Fleet(env, tmp_path)
    fleet.start(("features",))
    client = redis.Redis.from_url(redis_url)
    try:
        assert cli(env, "replay", str(bars)).returncode == 0
        deadline = time.monotonic() + 120
        while client.xlen("candlecast:features") < table.num_rows and time.monotonic() < deadline:
            fleet.check()
            time.sleep(0.2)
        time.sleep(0.5)  # nothing beyond the expected rows may arrive
        online = [json.loads(f[b"__data__"]) for _, f in client.xrange("candlecast:features")]
    finally:
        fleet.stop()

    assert len(online) == table.num_rows
    assert {(r["symbol"], r["ts"]) for r in online} == set(expected)
    columns = {name: table[name].to_numpy() for name in DEFAULT.names}
    for row in online:
        i = expected[row["symbol"], row["ts"]]
        got = np.array(row["values"])  # in DEFAULT.names' order
        want = np.array([columns[n][i] for n in DEFAULT.names])
        assert np.array_equal(got, want), f"{row['symbol']} {row['ts']} differs"
    assert client.xlen("candlecast:dlq") == 0
