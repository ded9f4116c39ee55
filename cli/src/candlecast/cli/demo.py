"""`candlecast demo`: the four services on a synthetic market, a first model, live predictions.

The market carries a planted, learnable momentum signal (CANDLECAST_SYNTHETIC_SIGNAL, default
DEMO_SIGNAL; set it to 0 for a pure random walk, which the gate must reject). The first retrain
uses few trials so the demo is quick, then the demo prints the holdout skill and the gate's word.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from candlecast.cli.demo_report import card_for, skill_report
from candlecast.cli.embedded import local_redis
from candlecast.cli.ops.retrain import send
from candlecast.cli.ops.tail import tail
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.messages import RetrainModel
from candlecast.shared.settings import Settings

SERVICES = ("ingest", "features", "trainer", "predictor")
DEMO_TRIALS = 20
DEMO_ENV = {  # defaults the caller's environment may override
    "CANDLECAST_SYNTHETIC_SIGNAL": "0.3",  # planted momentum: oracle AUC ~0.58 at h=5 on 1m
    "CANDLECAST_TIMEFRAME": "5s",  # the backfill ends now; then a bar closes every 5 s, live
    "CANDLECAST_BACKFILL_BARS": "20000",  # per symbol: a holdout large enough to tell skill from noise
    "CANDLECAST_RETRAIN_CRON": "",  # no scheduled retrain during the demo
    "CANDLECAST_TRAIN_THREADS": "1",  # the other services share the cores; spinning threads slow LightGBM
}

Procs = dict[str, subprocess.Popen[bytes]]


def start_services(env: Mapping[str, str], log_dir: Path) -> Procs:
    """Each service as a child `candlecast run NAME`, logging to `log_dir/NAME.log`."""
    procs: Procs = {}
    for name in SERVICES:
        with (log_dir / f"{name}.log").open("ab") as log:
            cmd = [sys.executable, "-m", "candlecast.cli", "run", name]
            procs[name] = subprocess.Popen(cmd, env=dict(env), stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    return procs


def stop_services(procs: Procs, timeout: float = 20.0) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    for proc in procs.values():
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


def wait_for_bars(
    store: BarStore, timeframe: str, procs: Procs, log_dir: Path, min_bars: int, timeout: float = 120.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {log_dir / name}.log")
        stored = [len(store.read(s, tf)) for s, tf in store.series(timeframe)]
        if stored and min(stored) >= min_bars:
            return
        time.sleep(0.5)
    raise RuntimeError("ingest stored too few bars in time")


def demo_env(url: str, home: Path) -> dict[str, str]:
    return {**DEMO_ENV, **os.environ, "CANDLECAST_REDIS_URL": url, "CANDLECAST_HOME": str(home)}


def first_model(settings: Settings, home: Path, trials: int) -> int:
    """Retrain once, print the card's holdout skill; 0 when promoted (see `send`)."""
    command = RetrainModel(timeframe=settings.timeframe, horizon=settings.horizon, trials=trials)
    code = asyncio.run(send(settings, command, follow=True, wait_s=900))
    card = card_for(FileModelStore(home), command.request_id)
    if card is not None:
        print(skill_report(card))
    return code


def run_demo(seconds: float, trials: int = DEMO_TRIALS) -> int:
    home = Path(os.environ.get("CANDLECAST_HOME") or tempfile.mkdtemp(prefix="candlecast-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    with redis_url() as url:
        env = demo_env(url, home)
        os.environ.update(env)
        settings = Settings()
        print(f"home {home}; service logs there as NAME.log")
        print(f"synthetic market, planted signal {env['CANDLECAST_SYNTHETIC_SIGNAL']} (0: a random walk)")
        procs: Procs = {}
        try:
            procs = start_services(env, home)
            backfill = int(env["CANDLECAST_BACKFILL_BARS"])
            wait_for_bars(BarStore(home), settings.timeframe, procs, home, backfill)
            print(f"bars are flowing; asking the trainer for a first model ({trials} trials)")
            code = first_model(settings, home, trials)
            if code != 0:
                return code
            print("live predictions (Ctrl-C stops everything):")
            asyncio.run(asyncio.wait_for(tail(settings, None, 0, from_start=False), seconds or None))
        except (KeyboardInterrupt, TimeoutError):
            pass
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not abort the clean-up
            print("stopping services")
            stop_services(procs)
    return 0
