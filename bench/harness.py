"""Shared set-up for the pipeline benchmarks: a private Redis, a champion model, the services."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from candlecast.cli.embedded import local_redis
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.features import DEFAULT
from candlecast.trainer.card import Source
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.evaluate import Context, finish
from candlecast.trainer.pipeline import train
from tests.support.fleet import Fleet

START = 1_700_000_000_000 // 300_000 * 300_000


@dataclass
class Stack:
    url: str
    home: Path
    fleet: Fleet
    client: redis.Redis


def market(symbols: int, bars: int, seed: int = 5) -> list[Bars]:
    return synthetic_bars([f"SYM{i:02d}" for i in range(symbols)], "5m", START, bars, seed=seed)


def champion(home: Path, train_bars: int = 3_000) -> str:
    """Train and promote (forced: a random walk has no edge) a model on a separate synthetic history."""
    series = market(2, train_bars, seed=99)
    store = FileModelStore(home)
    config = TrainConfig(trials=2, n_jobs=1, latency_samples=50)
    trained = train(series, DEFAULT, 1, "5m", config)
    version = store.new_version(now_ms())
    context = Context(Source("file"), now_ms(), force=True, notes=("bench champion",))
    draft = finish(trained, series, config, None, context, store.folder(version), time.perf_counter)
    store.save(version, trained.model, draft)
    store.promote(version)
    BarStore(home)  # the folder exists for the services
    return version


@contextlib.contextmanager
def stack(services: tuple[str, ...] = ("features", "predictor")) -> Iterator[Stack]:
    with local_redis() as url, tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        champion(home)
        env = {
            **os.environ,
            "CANDLECAST_REDIS_URL": url,
            "CANDLECAST_HOME": str(home),
            "CANDLECAST_LOG_LEVEL": "WARNING",
        }
        fleet = Fleet(env, home)
        fleet.start(services)
        client = redis.Redis.from_url(url)
        try:
            wait_groups(client, fleet)
            yield Stack(url, home, fleet, client)
        finally:
            fleet.stop()


def wait_groups(client: redis.Redis, fleet: Fleet) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        fleet.check()
        try:
            if all(
                client.exists(k) and client.xinfo_groups(k)
                for k in ("candlecast:bars", "candlecast:features")
                if k != "candlecast:features" or "predictor" in fleet.procs
            ):
                return
        except redis.ResponseError:
            pass
        time.sleep(0.2)
    raise RuntimeError("services did not start")


def wait_len(
    client: redis.Redis, stream: str, n: int, check: Callable[[], None], timeout: float = 600
) -> float:
    """When `stream` holds `n` entries (monotonic time); `check` raises if a producer died."""
    deadline = time.monotonic() + timeout
    while client.xlen(stream) < n:
        check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"{stream} has {client.xlen(stream)} of {n}")
        time.sleep(0.01)
    return time.monotonic()
