"""docker-compose.yml without Docker: schema-valid, and each service's command really runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
SERVICES = ("ingest", "features", "trainer", "predictor")


def compose() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return spec


def test_compose_file_passes_the_compose_spec_schema() -> None:
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run(
        [checker, "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_redis_is_durable_and_services_restart_and_share_home() -> None:
    spec = compose()["services"]
    assert "--appendonly" in spec["redis"]["command"]
    assert "healthcheck" in spec["redis"]
    for name in SERVICES:
        svc = spec[name]
        assert svc["command"] == ["run", name]
        assert svc["restart"] == "unless-stopped"
        assert svc["depends_on"]["redis"]["condition"] == "service_healthy"
        assert svc["environment"]["CANDLECAST_HOME"] == "/data"
        assert "candlecast-home:/data" in svc["volumes"]
        assert svc["build"]["args"]["SERVICE"] == name


@pytest.mark.redis
@pytest.mark.e2e
def test_each_compose_command_starts_against_local_redis(redis_url: str, tmp_path: Path) -> None:
    """Run every service as compose would (its command and environment), Redis and volume swapped."""
    spec = compose()["services"]
    procs = {}
    for name in SERVICES:
        env = {**os.environ, **{k: str(v) for k, v in spec[name]["environment"].items()}}
        env |= {"CANDLECAST_REDIS_URL": redis_url, "CANDLECAST_HOME": str(tmp_path)}
        log = (tmp_path / f"{name}.log").open("wb")
        cmd = [sys.executable, "-m", "candlecast.cli", *spec[name]["command"]]
        procs[name] = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = redis.Redis.from_url(redis_url)
    expected = {"features", "predictor", "recorder", "trainer"}  # ingest runs the recorder
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and (
            client.xlen("candlecast:features") == 0 or groups(client) != expected
        ):
            assert all(p.poll() is None for p in procs.values()), _logs(tmp_path)
            time.sleep(0.5)
        assert client.xlen("candlecast:features") > 0, _logs(tmp_path)
        assert groups(client) == expected, _logs(tmp_path)
    finally:
        for p in procs.values():
            p.terminate()
        codes = {name: p.wait(timeout=30) for name, p in procs.items()}
    assert codes == dict.fromkeys(SERVICES, 0), _logs(tmp_path)


def groups(client: redis.Redis) -> set[str]:
    """Consumer groups on the three grouped streams (a service creates its own at start)."""
    found = set()
    for stream in ("bars", "features", "commands"):
        try:
            found |= {g["name"].decode() for g in client.xinfo_groups(f"candlecast:{stream}")}
        except redis.ResponseError:  # not created yet
            continue
    return found


def _logs(folder: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in folder.glob("*.log"))
