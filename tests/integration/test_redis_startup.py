"""Start-up with Redis down: services wait with backoff and say so once; commands fail in one line."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import time
from pathlib import Path

import pytest

from candlecast.cli.embedded import free_port, redis_server_binary
from candlecast.cli.errors import REDIS_DOWN
from candlecast.cli.main import main
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barfile import write_bar_file
from candlecast.shared.adapters.connect import client, wait_until_up
from candlecast.shared.settings import Settings

pytestmark = pytest.mark.redis

SECRET = "hunter2-never-shown"


async def test_a_late_redis_is_waited_for_with_one_line(tmp_path, caplog) -> None:
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("no redis-server")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path), "--save", ""]
    procs: list[subprocess.Popen[bytes]] = []
    loop = asyncio.get_running_loop()
    loop.call_later(1.5, lambda: procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL)))
    caplog.set_level(logging.INFO)
    log = logging.getLogger("candlecast.test")
    r = client(Settings(redis_url=url))
    try:
        assert await wait_until_up(r, url, asyncio.Event(), log)
        assert await r.ping()
    finally:
        await r.aclose()
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "candlecast.test"]
    assert len(lines) == 2, lines  # several failed pings, one line for them
    assert lines[0].startswith(f"waiting for Redis at {url}: connection refused")
    assert lines[0].endswith("; retrying with backoff")
    assert lines[1].startswith(f"Redis at {url} is up after ")


async def test_a_stop_ends_the_wait_at_once() -> None:
    url = f"redis://:{SECRET}@127.0.0.1:{free_port()}/0"
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.5, stop.set)
    r = client(Settings(redis_url=url))
    started = time.monotonic()
    assert not await wait_until_up(r, url, stop)
    assert time.monotonic() - started < 1.5
    await r.aclose()


@pytest.fixture
def redis_down(monkeypatch, tmp_path: Path) -> Path:
    """CANDLECAST_* pointing at a port nobody listens on; the bar store's folder."""
    monkeypatch.setenv("CANDLECAST_REDIS_URL", f"redis://app:{SECRET}@127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("CANDLECAST_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_replay_with_redis_down_is_one_line_and_records_nothing(redis_down, tmp_path, capsys) -> None:
    file = tmp_path / "bars.parquet"
    write_bar_file(file, synthetic_bars(["AAA"], "5m", 1_735_689_600_000, 500, seed=1))
    assert main(["replay", str(file)]) == REDIS_DOWN
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("candlecast: Redis at redis://app:***@127.0.0.1:")
    assert "connection refused" in err[0]
    assert SECRET not in err[0]
    assert not redis_down.exists() or not any(redis_down.rglob("*.parquet"))  # nothing recorded


@pytest.mark.parametrize(
    "args",
    [["tail", "--count", "1"], ["features", "reset", "AAA"], ["retrain", "--symbols", "AAA"]],
)
def test_commands_with_redis_down_are_one_line(redis_down, capsys, args: list[str]) -> None:
    assert main(args) == REDIS_DOWN
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "connection refused" in err[0]
    assert SECRET not in err[0]
