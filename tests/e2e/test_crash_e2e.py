"""kill -9 the features worker mid-stream: its successor loses nothing and duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import redis

from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barfile import write_bar_file
from candlecast.shared.core.features import DEFAULT, compute
from tests.support.fleet import Fleet

pytestmark = [pytest.mark.redis, pytest.mark.e2e]


def test_killed_worker_is_replaced_without_loss_or_duplicates(redis_url: str, tmp_path: Path) -> None:
    series = synthetic_bars(["AAA", "BBB", "CCC"], "5m", 1_735_689_600_000, 4_000, seed=12)
    write_bar_file(tmp_path / "bars.parquet", series)
    env = {**os.environ, "CANDLECAST_REDIS_URL": redis_url, "CANDLECAST_HOME": str(tmp_path / "home")}
    env["CANDLECAST_BATCH_SIZE"] = "20"  # many small batches: the kill lands mid-stream
    client = redis.Redis.from_url(redis_url)
    first = Fleet(env, tmp_path)
    first.start(("features",))
    replay = [sys.executable, "-m", "candlecast.cli", "replay", str(tmp_path / "bars.parquet")]
    replaying = subprocess.Popen(replay, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while client.xlen("candlecast:features") < 500 and time.monotonic() < deadline:
        time.sleep(0.005)
    first.procs["features"].send_signal(signal.SIGKILL)  # while bars still arrive
    first.procs["features"].wait()
    killed_at = client.xlen("candlecast:features")
    assert replaying.wait(timeout=120) == 0, replaying.stderr.read() if replaying.stderr else ""
    assert 0 < killed_at < 3 * (4_000 - 239), "the kill must land mid-stream for this test to mean anything"

    second = Fleet(env, tmp_path)
    second.start(("features",))
    try:
        expected = {s.symbol: compute(s, DEFAULT) for s in series}
        total = sum(len(rows) for rows in expected.values())
        deadline = time.monotonic() + 120
        while client.xlen("candlecast:features") < total and time.monotonic() < deadline:
            second.check()
            time.sleep(0.2)
        time.sleep(1.0)
        rows = [json.loads(f[b"__data__"]) for _, f in client.xrange("candlecast:features")]
    finally:
        second.stop()

    assert len(rows) == total, "nothing lost, nothing twice"
    for symbol, want in expected.items():
        own = [r for r in rows if r["symbol"] == symbol]
        assert [r["ts"] for r in own] == want.ts.tolist()
        got = np.array([r["values"] for r in own])  # in the feature set's order, as `want.names`
        assert np.array_equal(got, want.values)
    assert client.xpending("candlecast:bars", "features")["pending"] == 0
    assert client.xlen("candlecast:dlq") == 0
