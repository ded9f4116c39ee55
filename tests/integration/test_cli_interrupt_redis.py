"""Ctrl-C in `candlecast tail`, a real process on a real Redis: it stops quietly, no traceback."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

import pytest
import redis

from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.messages import PredictionMade
from candlecast.shared.settings import Settings

pytestmark = pytest.mark.redis


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a background job may have inherited SIG_IGN


def test_ctrl_c_in_tail_exits_quietly(redis_url: str) -> None:
    p = PredictionMade(
        symbol="AAA", timeframe="5m", ts=1_735_689_600_000, horizon=1, prob_up=0.6,
        model_version="v1", produced_at=1_735_689_600_000,
    )  # fmt: skip
    redis.Redis.from_url(redis_url).xadd(Settings().keys.predictions, {DATA_FIELD: p.model_dump_json()})
    env = {**os.environ, "CANDLECAST_REDIS_URL": redis_url}
    args = [sys.executable, "-m", "candlecast.cli", "tail", "--from-start"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    proc = subprocess.Popen(args, env=env, **pipes, preexec_fn=default_sigint)  # noqa: PLW1509 - signals only
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready, "tail printed the kept prediction"
        first = proc.stdout.readline().decode() if proc.stdout else ""
        assert "AAA" in first
        proc.send_signal(signal.SIGINT)  # at once: asyncio's own cancel-on-SIGINT lost this race
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, "Ctrl-C is how tail is meant to stop"
    assert err.decode() == "", "no traceback, no message"
