"""Chaos: a 50k-bar replay while each service is killed with -9 in turn and Redis restarts.

Every bar that has passed warm-up must end with exactly one prediction per model
version, none missing, none twice, and every group drained; each restart must be
followed by the pipeline consuming again within 5 s. A second test restarts Redis
empty (no persistence) under a running pipeline: groups come back by themselves.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barfile import write_bar_file
from candlecast.shared.core.features import DEFAULT, warmup_bars
from tests.support.champion import promote_tiny
from tests.support.fleet import Fleet
from tests.support.redis_proc import RedisProcess

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

START = 1_735_689_600_000
SYMBOLS = ("AAA", "BBB", "CCC", "DDD", "EEE")
RECOVERY_S = 5.0
GROUPS = {  # service -> (stream, group, output stream or None)
    "features": ("candlecast:bars", "features", "candlecast:features"),
    "predictor": ("candlecast:features", "predictor", "candlecast:predictions"),
    "recorder": ("candlecast:bars", "recorder", None),
    "trainer": ("candlecast:commands", "trainer", None),
}


def bar_file(folder: Path, name: str, first: int, n: int) -> Path:
    series = [
        s.take(slice(first, first + n)) for s in synthetic_bars(SYMBOLS, "5m", START, first + n, seed=5)
    ]
    write_bar_file(folder / name, series)
    return folder / name


def environment(url: str, home: Path) -> dict[str, str]:
    env = {**os.environ, "CANDLECAST_REDIS_URL": url, "CANDLECAST_HOME": str(home)}
    return env | {"CANDLECAST_SYMBOLS": json.dumps(SYMBOLS), "CANDLECAST_GRACE_S": "5"}


def wait(check: Callable[[], bool], timeout: float, fleet: Fleet, what: str) -> float:
    """Seconds until `check()` holds; fails after `timeout`, or as soon as a service dies."""
    t0 = time.monotonic()
    while not check():
        fleet.check()
        assert time.monotonic() - t0 < timeout, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.05)
    return time.monotonic() - t0


def consumers(client: redis.Redis, stream: str, group: str) -> set[str]:
    try:
        return {c["name"].decode() for c in client.xinfo_consumers(stream, group)}
    except redis.RedisError:
        return set()


def xlen(client: redis.Redis, key: str) -> int:
    try:
        return int(client.xlen(key))
    except redis.RedisError:
        return -1


def consuming_again(client: redis.Redis, fleet: Fleet, name: str, champion: str) -> float:
    """Seconds until the restarted `name` reads in its group and (if it has one) writes output again."""
    stream, group, output = GROUPS[name]
    if name == "trainer":  # commands are rare: give it one (promote the champion again, a no-op)
        command = {"command": "promote", "request_id": "chaos", "version": champion}
        client.xadd(stream, {"__data__": json.dumps(command)})
    me = f"{socket.gethostname()}-{fleet.procs[name].pid}"
    before = xlen(client, output) if output else 0
    took = wait(lambda: me in consumers(client, stream, group), 30, fleet, f"{name} consuming")
    if output:
        took = max(took, wait(lambda: xlen(client, output) > before, 30, fleet, f"{name} output"))
    return took


def groups_ready(client: redis.Redis) -> bool:
    try:
        return all(
            group in {g["name"].decode() for g in client.xinfo_groups(s)} for s, group, _ in GROUPS.values()
        )
    except redis.RedisError:
        return False


def undrained(client: redis.Redis) -> list[str]:
    """Groups with entries pending or not yet read (lag), as readable notes."""
    notes = []
    for stream, group, _ in GROUPS.values():
        info = {g["name"].decode(): g for g in client.xinfo_groups(stream)}[group]
        if info["pending"] or info.get("lag"):
            at = client.xinfo_stream(stream)
            notes.append(
                f"{group} on {stream}: pending {info['pending']}, lag {info.get('lag')}, read "
                f"{info['last-delivered-id']} ({info.get('entries-read')}) of {at['last-generated-id']} "
                f"({at.get('entries-added')}), length {at['length']}"
            )
    return notes


def drained(client: redis.Redis, fleet: Fleet) -> None:
    try:
        wait(lambda: not undrained(client), 30, fleet, "every group drained")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {undrained(client)}") from None


def predictions(client: redis.Redis) -> list[tuple[str, int, str]]:
    rows = [json.loads(f[b"__data__"]) for _, f in client.xrange("candlecast:predictions")]
    return [(p["symbol"], p["ts"], p["model_version"]) for p in rows]


@pytest.fixture
def owned_redis(tmp_path: Path):
    server = RedisProcess(tmp_path / "redis", appendonly=True).start()
    yield server
    server.stop()


def test_kills_and_a_redis_restart_lose_and_double_nothing(owned_redis: RedisProcess, tmp_path: Path) -> None:
    n = 10_000
    file = bar_file(tmp_path, "bars.parquet", 0, n)
    version = promote_tiny(tmp_path / "home")
    env = environment(owned_redis.url, tmp_path / "home")
    client = redis.Redis.from_url(owned_redis.url)
    fleet = Fleet(env, tmp_path)
    fleet.start(("features", "predictor", "recorder", "trainer"))
    replay_cmd = [sys.executable, "-m", "candlecast.cli", "replay", str(file), "--speed", "1000"]
    recovery: dict[str, float] = {}
    try:
        wait(lambda: groups_ready(client), 60, fleet, "every group")
        with (tmp_path / "replay.log").open("wb") as log:
            replay = subprocess.Popen(replay_cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        wait(lambda: xlen(client, "candlecast:predictions") > 2_000, 60, fleet, "predictions to flow")
        for name in ("features", "predictor", "recorder", "trainer"):
            fleet.procs[name].send_signal(signal.SIGKILL)
            fleet.procs[name].wait()
            time.sleep(0.5)
            fleet.start((name,))
            recovery[name] = consuming_again(client, fleet, name, version)
        assert replay.poll() is None, "Redis must restart mid-replay for this test to mean anything"
        before = xlen(client, "candlecast:predictions")
        owned_redis.restart(down_s=1.0)
        recovery["redis (AOF)"] = wait(
            lambda: xlen(client, "candlecast:predictions") > before, 30, fleet, "predictions after Redis"
        )
        assert replay.wait(timeout=120) == 0, (tmp_path / "replay.log").read_text()[-2000:]
        expected = len(SYMBOLS) * (n - warmup_bars(DEFAULT) + 1)
        wait(lambda: xlen(client, "candlecast:predictions") >= expected, 180, fleet, "every prediction")
        drained(client, fleet)
        time.sleep(1.0)  # anything late and doubled would land now
        made = predictions(client)
    finally:
        fleet.stop()
    print(f"chaos: {n * len(SYMBOLS)} bars, {len(made)} predictions, recovery s {recovery}")
    assert len(made) == expected, f"{expected - len(made)} missing" if len(made) < expected else "doubles"
    assert len(set(made)) == len(made), "no (symbol, timeframe, ts, model_version) twice"
    assert {v for _, _, v in made} == {version}
    for symbol in SYMBOLS:
        own = sorted(ts for s, ts, _ in made if s == symbol)
        assert own == list(range(own[0], own[0] + len(own) * 300_000, 300_000)), f"{symbol}: a gap"
        assert client.xlen(f"candlecast:predictions:{symbol}") == len(own)
    assert client.xlen("candlecast:dlq") == 0
    assert max(recovery.values()) < RECOVERY_S, recovery


def test_an_empty_redis_restart_is_survived_without_restarting_a_service(tmp_path: Path) -> None:
    server = RedisProcess(tmp_path / "redis", appendonly=False).start()
    promote_tiny(tmp_path / "home")
    env = environment(server.url, tmp_path / "home")
    client = redis.Redis.from_url(server.url)
    fleet = Fleet(env, tmp_path)
    fleet.start(("features", "predictor", "recorder", "trainer"))
    replay = [sys.executable, "-m", "candlecast.cli", "replay"]
    per_symbol = warmup_bars(DEFAULT) + 300
    try:
        first = bar_file(tmp_path, "a.parquet", 0, per_symbol)
        subprocess.run([*replay, str(first)], env=env, check=True, capture_output=True, timeout=120)
        rows = len(SYMBOLS) * (per_symbol - warmup_bars(DEFAULT) + 1)
        wait(lambda: xlen(client, "candlecast:predictions") >= rows, 120, fleet, "first predictions")
        server.restart(down_s=1.0)  # comes back with nothing: no streams, groups or checkpoints
        assert xlen(client, "candlecast:predictions") == 0
        second = bar_file(tmp_path, "b.parquet", per_symbol, per_symbol)
        subprocess.run([*replay, str(second)], env=env, check=True, capture_output=True, timeout=120)
        wait(
            lambda: xlen(client, "candlecast:predictions") >= rows, 60, fleet, "predictions after the restart"
        )
        drained(client, fleet)
        time.sleep(1.0)
        made = predictions(client)
        dead = client.xlen("candlecast:dlq")
    finally:
        fleet.stop()
        server.stop()
    assert len(made) == rows, "warm-up again, then every bar predicted once"
    assert len(set(made)) == len(made)
    assert dead == 0
