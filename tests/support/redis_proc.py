"""A redis-server the test owns, so it can shut it down and start it again on the same files."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import redis

from candlecast.cli.embedded import free_port, redis_server_binary, wait_ready


class RedisProcess:
    """`redis-server` on a fixed port and folder, with or without an append-only file."""

    def __init__(self, folder: Path, appendonly: bool) -> None:
        self.folder, self.appendonly, self.port = folder, appendonly, free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProcess:
        binary = redis_server_binary()
        assert binary is not None, "no redis-server"
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        args += ["--save", "", "--appendonly", "yes" if self.appendonly else "no", "--protected-mode", "no"]
        with (self.folder / "redis.log").open("ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        wait_ready(self.url, self.proc)
        return self

    def shutdown(self) -> None:
        """A clean SHUTDOWN: with AOF on, everything acknowledged is on disk."""
        client = redis.Redis.from_url(self.url)
        with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it goes
            client.shutdown(nosave=not self.appendonly)
        assert self.proc is not None
        self.proc.wait(timeout=30)

    def restart(self, down_s: float = 1.0) -> float:
        """Shut down, stay down `down_s`, start again; returns the monotonic time it answered."""
        self.shutdown()
        time.sleep(down_s)
        self.start()
        return time.monotonic()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
