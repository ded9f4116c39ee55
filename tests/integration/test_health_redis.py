"""Health and metrics of real service processes (`candlecast run NAME` with CANDLECAST_HTTP_PORT)."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.features import DEFAULT
from candlecast.shared.core.messages import ModelPromoted
from tests.support.champion import promote_tiny
from tests.support.fleet import Fleet
from tests.support.models import METRICS

pytestmark = pytest.mark.redis

START = 1_735_689_600_000
BARS = "candlecast:bars"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError:
        return 0, ""  # not listening yet


def wait_for(fleet: Fleet, check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        fleet.check()
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def key(**labels: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        key(**s.labels): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


@pytest.fixture
def services(redis_url: str, tmp_path: Path) -> Iterator[Callable[[str], tuple[int, Fleet]]]:
    """Start a service with health on a free port (JSON logs); returns its port and its fleet."""
    fleets: list[Fleet] = []

    def start(name: str) -> tuple[int, Fleet]:
        port = free_port()
        env = {
            **os.environ,
            "CANDLECAST_REDIS_URL": redis_url,
            "CANDLECAST_HOME": str(tmp_path / "home"),
            "CANDLECAST_HTTP_PORT": str(port),
            "CANDLECAST_LOG_JSON": "true",
        }
        fleet = Fleet(env, tmp_path)
        fleet.start([name])
        fleets.append(fleet)
        return port, fleet

    yield start
    for fleet in fleets:
        fleet.stop()
    for log in tmp_path.glob("*.log"):
        print(f"--- {log.name}\n{log.read_text()[-3000:]}")


def publish_bars(client: redis.Redis, n: int) -> None:
    for series in synthetic_bars(("AAA", "BBB"), "5m", START, n, seed=3):
        for bar in series.to_messages():
            client.xadd(BARS, {"__data__": bar.model_dump_json()})


def test_a_features_service_is_alive_ready_and_counts_what_it_consumes(
    services, redis_url: str, tmp_path: Path
) -> None:
    features, fleet = services("features")
    wait_for(fleet, lambda: get(features, "/healthz") == (200, "ok\n"), "features /healthz")
    wait_for(fleet, lambda: get(features, "/readyz")[0] == 200, "features /readyz (its group)")
    client = redis.Redis.from_url(redis_url)
    assert {g["name"] for g in client.xinfo_groups(BARS)} == {b"features"}
    publish_bars(client, 5)
    junk = client.xadd(BARS, {"__data__": b"not a bar"}).decode()
    ours = key(group="features", stream=BARS)

    def counted() -> bool:  # entries are counted in when handed over, letters once their commit lands
        status, text = get(features, "/metrics")
        letters = samples(text, "candlecast_dead_lettered_total") if status == 200 else {}
        return samples(text, "candlecast_messages_in_total").get(ours) == 11 and sum(letters.values()) >= 1

    wait_for(fleet, counted, "11 entries counted in and the junk entry's letter committed")
    text = get(features, "/metrics")[1]
    assert samples(text, "candlecast_handler_seconds_count")[ours] >= 1
    dead = samples(text, "candlecast_dead_lettered_total")
    assert dead == {key(group="features", stream=BARS, service="features"): 1}
    assert samples(text, "candlecast_messages_out_total") == {key(stream="candlecast:dlq"): 1}
    assert get(features, "/nowhere")[0] == 404

    def gauged() -> bool:
        found = samples(get(features, "/metrics")[1], "candlecast_group_lag")
        return found.get(ours) == 0

    wait_for(fleet, gauged, "the features group's lag gauge at 0", timeout=12)

    lines = (tmp_path / "features.log").read_text().splitlines()
    parsed = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message"} <= parsed[0].keys()
    assert any(p["message"].startswith("health and metrics on port") for p in parsed)
    (line,) = [p for p in parsed if p["message"].startswith("dead-lettered")]
    assert line["level"] == "WARNING"
    assert line["message"].startswith(f"dead-lettered {junk} of {BARS} (group features): malformed JSON")


def test_a_predictor_is_ready_once_a_model_is_served(services, redis_url: str, tmp_path: Path) -> None:
    predictor, fleet = services("predictor")
    wait_for(fleet, lambda: get(predictor, "/healthz")[0] == 200, "predictor /healthz")
    no_model = (503, "no model loaded yet\n")
    wait_for(fleet, lambda: get(predictor, "/readyz") == no_model, "503 without a model")
    assert samples(get(predictor, "/metrics")[1], "candlecast_model_info") == {}

    version = promote_tiny(tmp_path / "home")
    sha256 = FileModelStore(tmp_path / "home").load(version)[1].sha256
    promoted = ModelPromoted(
        request_id="r", version=version, sha256=sha256, feature_set=DEFAULT.id, horizon=1, metrics=METRICS
    )
    redis.Redis.from_url(redis_url).xadd("candlecast:models", {"__data__": promoted.model_dump_json()})
    wait_for(fleet, lambda: get(predictor, "/readyz") == (200, "ready\n"), "ready once the model is served")
    info = samples(get(predictor, "/metrics")[1], "candlecast_model_info")
    assert info == {key(service="predictor", version=version, sha256=sha256): 1}
