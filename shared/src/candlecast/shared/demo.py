"""`candlecast demo`: the four services on a synthetic market, a first model, live predictions."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.core.messages import RetrainModel
from candlecast.shared.embedded import local_redis
from candlecast.shared.ops import send, tail
from candlecast.shared.settings import Settings

SERVICES = ("ingest", "features", "trainer", "predictor")
MIN_BARS = 2_000


class Fleet:
    """Services as child processes running `candlecast run NAME`."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self.env = dict(env)
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, names: Sequence[str]) -> None:
        for name in names:
            with (self.log_dir / f"{name}.log").open("ab") as log:
                cmd = [sys.executable, "-m", "candlecast.shared.cli", "run", name]
                self.procs[name] = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
                    cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT
                )

    def check(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir / name}.log")

    def stop(self, timeout: float = 20.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def redis_url() -> Iterator[str]:
    """The configured Redis, or an embedded one for the demo's lifetime."""
    configured = os.environ.get("CANDLECAST_REDIS_URL")
    if configured:
        yield configured
        return
    with local_redis() as url:
        print(f"no CANDLECAST_REDIS_URL: started an embedded Redis at {url}")
        yield url


def wait_for_bars(store: BarStore, timeframe: str, fleet: Fleet, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fleet.check()
        stored = [len(store.read(s, tf)) for s, tf in store.series(timeframe)]
        if stored and min(stored) >= MIN_BARS:
            return
        time.sleep(0.5)
    raise RuntimeError("ingest stored too few bars in time")


def run_demo(seconds: float) -> int:
    home = Path(os.environ.get("CANDLECAST_HOME") or tempfile.mkdtemp(prefix="candlecast-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    with redis_url() as url:
        env = {**os.environ, "CANDLECAST_REDIS_URL": url, "CANDLECAST_HOME": str(home)}
        os.environ.update(env)
        settings = Settings()
        fleet = Fleet(env, home)
        print(f"home {home}; service logs there as NAME.log")
        try:
            fleet.start(SERVICES)
            wait_for_bars(BarStore(home), settings.timeframe, fleet)
            print("bars are flowing; asking the trainer for a first model")
            code = asyncio.run(send(settings, RetrainModel(), follow=True, wait_s=300))
            if code != 0:
                return code
            print("live predictions (Ctrl-C stops everything):")
            asyncio.run(asyncio.wait_for(tail(settings, None, 0, from_start=False), seconds or None))
        except (KeyboardInterrupt, TimeoutError):
            pass
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abort the clean-up
            print("stopping services")
            fleet.stop()
    return 0
