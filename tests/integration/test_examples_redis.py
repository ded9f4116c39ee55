"""The README's subscriber examples, run as a user would: Python, redis-cli and (when installed) Node."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from candlecast.shared.core.messages import OhlcBand, OhlcStep, PredictionMade

pytestmark = pytest.mark.redis
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
STREAM = "candlecast:predictions:AAA"


def predictions(n: int) -> list[PredictionMade]:
    bar = OhlcBand(open=100.0, high=101.0, low=99.0, close=100.5)
    step = OhlcStep(ts=600_000, open=100.0, high=101.0, low=99.0, close=100.5, lower=bar, upper=bar)
    return [
        PredictionMade(
            symbol="AAA", timeframe="5m", ts=i * 300_000, horizon=1, prob_up=0.5 + i / 100,
            forecast=[step] if i == 0 else [], model_version="v1", produced_at=1,
        )
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture
def published(redis_url: str) -> list[PredictionMade]:
    made = predictions(3)
    client = redis.Redis.from_url(redis_url)
    for p in made:
        client.xadd(STREAM, {"__data__": p.model_dump_json()})
    client.close()
    return made


def expected_lines(made: list[PredictionMade]) -> list[str]:
    return [f"AAA {p.ts} P(up)={p.prob_up:.4f} v1" for p in made]


def run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_python_example_prints_each_prediction_and_its_band(redis_url: str, published) -> None:
    out = run([sys.executable, str(EXAMPLES / "subscribe.py"), redis_url, STREAM, "3"]).splitlines()
    assert [line.split(" close@")[0] for line in out] == expected_lines(published)
    assert out[0].endswith("close@600000=100.50 [100.50, 100.50]")


def test_redis_cli_example_prints_the_json_documents(redis_url: str, published) -> None:
    parts = urlsplit(redis_url)
    out = run(["sh", str(EXAMPLES / "subscribe.sh"), str(parts.hostname), str(parts.port), STREAM, "3"])
    docs = [PredictionMade.model_validate_json(line) for line in out.splitlines() if line.startswith("{")]
    assert docs == published


@pytest.mark.skipif(
    shutil.which("node") is None or not (EXAMPLES / "node_modules" / "redis").exists(),
    reason="Node.js or the example's packages (make install runs npm ci) are not installed",
)
def test_node_example_prints_each_prediction(redis_url: str, published) -> None:
    out = run(["node", str(EXAMPLES / "subscribe.mjs"), redis_url, STREAM, "3"]).splitlines()
    assert out == expected_lines(published)
