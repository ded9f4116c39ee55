"""The walking skeleton end to end: real Redis, services as real `candlecast run` processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barfile import write_bar_file
from candlecast.shared.core.features import DEFAULT, warmup_bars
from tests.support.fleet import Fleet

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

SYMBOLS = ("AAA", "BBB")
TF_MS = 300_000
START = 1_735_689_600_000


def cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "candlecast.cli", *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def market_file(folder: Path, name: str, first: int, n: int) -> Path:
    """Bars [first, first + n) of a seeded market, so later files continue earlier ones."""
    series = [
        s.take(slice(first, first + n)) for s in synthetic_bars(SYMBOLS, "5m", START, first + n, seed=3)
    ]
    path = folder / name
    write_bar_file(path, series)
    return path


def entries(client: redis.Redis, stream: str) -> list[dict[str, object]]:
    return [json.loads(f[b"__data__"]) for _, f in client.xrange(stream)]


def wait_for(predicate, timeout: float, fleet: Fleet, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fleet.check()
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def stack(redis_url: str, tmp_path: Path):
    env = {
        **os.environ,
        "CANDLECAST_REDIS_URL": redis_url,
        "CANDLECAST_HOME": str(tmp_path / "home"),
        "CANDLECAST_SYMBOLS": json.dumps(SYMBOLS),
    }
    fleet = Fleet(env, tmp_path)
    fleet.start(("features", "trainer", "predictor"))
    yield env, fleet, redis.Redis.from_url(redis_url)
    fleet.stop()
    for log in tmp_path.glob("*.log"):
        print(f"--- {log.name}\n{log.read_text()[-3000:]}")


def coherent(bar: dict[str, float]) -> bool:
    return bar["low"] <= min(bar["open"], bar["close"]) <= max(bar["open"], bar["close"]) <= bar["high"]


def assert_paths(preds: list[dict[str, object]], steps: int = 12) -> None:
    """Every prediction carries a coherent `steps`-bar path with bands, one bar apart."""
    for p in preds:
        path = p["forecast"]
        assert isinstance(path, list)
        assert len(path) == steps, p
        assert [s["ts"] for s in path] == [int(p["ts"]) + TF_MS * (i + 1) for i in range(steps)]
        for s in path:
            assert all(coherent(bar) for bar in (s, s["lower"], s["upper"])), s
            assert all(s["lower"][k] <= s[k] <= s["upper"][k] for k in ("open", "high", "low", "close")), s


def test_bars_to_promoted_predictions_and_hot_reload(stack, tmp_path: Path) -> None:
    env, fleet, client = stack
    keys_pred = "candlecast:predictions"
    history = 1_500
    assert cli(env, "replay", str(market_file(tmp_path, "a.parquet", 0, history))).returncode == 0
    rows_expected = len(SYMBOLS) * (history - warmup_bars(DEFAULT) + 1)
    wait_for(lambda: client.xlen("candlecast:features") >= rows_expected, 120, fleet, "feature rows")
    assert client.xlen(keys_pred) == 0, "no champion yet: nothing may be predicted"
    (group,) = client.xinfo_groups("candlecast:features")
    assert group["last-delivered-id"] == b"0-0", "no model: rows wait unread, none acked"

    # a random walk: the gate rightly rejects it, so the plumbing under test is reached with --force
    retrain = ("retrain", "--horizon", "3", "--trials", "2", "--force", "--follow")
    first = cli(env, *retrain, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    v1 = first.stdout.split("promoted ")[1].split()[0]
    assert f"loaded {v1} by predictor" in first.stdout, "--follow returns once a predictor serves v1"

    more = 200
    assert cli(env, "replay", str(market_file(tmp_path, "b.parquet", history, more))).returncode == 0
    served = rows_expected + len(SYMBOLS) * more  # the rows that waited for a model, then the new ones
    wait_for(lambda: client.xlen(keys_pred) >= served, 60, fleet, "predictions")
    preds = entries(client, keys_pred)
    assert len(preds) == served
    assert len({(p["symbol"], p["ts"]) for p in preds}) == served, "each row predicted once"
    assert {p["model_version"] for p in preds} == {v1}
    assert all(0.0 <= float(p["prob_up"]) <= 1.0 and p["horizon"] == 3 for p in preds)
    assert_paths(preds)
    for symbol in SYMBOLS:
        own = entries(client, f"candlecast:predictions:{symbol}")
        assert [p["ts"] for p in own] == [p["ts"] for p in preds if p["symbol"] == symbol]

    second = cli(env, *retrain, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    v2 = second.stdout.split("promoted ")[1].split()[0]
    assert v2 != v1
    assert cli(env, "replay", str(market_file(tmp_path, "c.parquet", history + more, more))).returncode == 0
    want = len(preds) + len(SYMBOLS) * (more + 1)  # the promotion's catch-up, one per symbol, then the rows
    wait_for(lambda: client.xlen(keys_pred) >= want, 60, fleet, "predictions by v2")
    latest = entries(client, keys_pred)[len(preds) :]
    assert len(latest) == len(SYMBOLS) * (more + 1)
    newest = {symbol: max(int(p["ts"]) for p in preds if p["symbol"] == symbol) for symbol in SYMBOLS}
    caught_up = latest[: len(SYMBOLS)]
    assert {(p["symbol"], p["ts"]) for p in caught_up} == set(newest.items()), "each symbol's latest row"
    assert {p["model_version"] for p in latest} == {v2}, "every predictor hot-reloads without a restart"
    assert_paths(latest)
    assert client.xlen("candlecast:dlq") == 0
