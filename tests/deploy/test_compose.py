"""docker-compose.yml without Docker: schema-valid, compose v1 compatible, healthchecked, and
each service's command really runs. `make test-docker` runs the file on a real engine."""

from __future__ import annotations

import json
import os
import re
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
DEPLOY = REPO / "deploy"
SERVICES = ("ingest", "features", "trainer", "predictor", "scorer")
PACKAGE = {"scorer": "predictor"}  # the scorer runs from the predictor's image
MONITORING = ("prometheus", "grafana")
SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "info": ["_info"]}
VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def compose() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return spec


def interpolate(value: object) -> str:
    """A compose value with each `${VAR:-default}` replaced by its default (the environment ignored)."""
    return VARIABLE.sub(lambda m: m.group(2) or "", str(value))


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
        assert svc["build"]["args"]["SERVICE"] == PACKAGE.get(name, name)


def test_compose_v1_accepts_the_file_no_top_level_name() -> None:
    spec = compose()
    assert "name" not in spec
    assert "version" not in spec  # v2 warns on it; v1.27+ reads the compose spec without it


def test_every_service_has_a_healthcheck_and_a_restart_policy() -> None:
    spec = compose()["services"]
    assert set(spec) == {"redis", *SERVICES, *MONITORING}
    for name, svc in spec.items():
        assert svc["restart"] == "unless-stopped", name
        test = svc["healthcheck"]["test"]
        assert test[0] == "CMD", name
        assert svc["healthcheck"]["retries"] >= 3, name


def test_services_serve_health_on_8080_and_the_healthcheck_asks_readyz() -> None:
    spec = compose()["services"]
    for name in SERVICES:
        svc = spec[name]
        assert svc["environment"]["CANDLECAST_HTTP_PORT"] == "8080", name
        python, flag, code = svc["healthcheck"]["test"][1:]
        assert (python, flag) == ("python", "-c"), name
        assert "http://127.0.0.1:8080/readyz" in code, name
        compile(code, name, "exec")  # the one-liner is valid Python
    assert spec["predictor"]["healthcheck"]["start_period"] != spec["ingest"]["healthcheck"]["start_period"]


def test_volumes_are_named_and_declared() -> None:
    spec = compose()
    declared = set(spec["volumes"])
    used = set()
    for name, svc in spec["services"].items():
        for mount in svc.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("./"):  # the monitoring profile's read-only config files
                assert mount.endswith(":ro"), (name, mount)
                assert (REPO / source).exists(), (name, mount)
            else:
                used.add(source)
    assert used == declared == {"redis-data", "candlecast-home", "prometheus-data", "grafana-data"}


def test_env_example_documents_every_variable_compose_reads() -> None:
    example = (DEPLOY / ".env.example").read_text()
    documented = dict(
        line.split("=", 1) for line in example.splitlines() if line and not line.startswith("#")
    )
    read = {m.group(1) for m in VARIABLE.finditer(COMPOSE.read_text())}
    assert read, "compose reads no variable"
    assert read <= set(documented), read - set(documented)
    assert "COMPOSE_PROJECT_NAME" in documented  # what replaces the dropped `name:`
    defaults = {m.group(1): m.group(2) for m in VARIABLE.finditer(COMPOSE.read_text())}
    for var, default in defaults.items():  # .env.example shows the defaults compose uses
        assert documented[var].strip("'") == default, var


def test_monitoring_is_an_optional_profile_scraping_every_service() -> None:
    spec = compose()["services"]
    for name in MONITORING:
        assert spec[name]["profiles"] == ["monitoring"]
    for name in ("redis", *SERVICES):
        assert "profiles" not in spec[name]  # `docker compose up` starts these, and only these
    prometheus = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    (dns,) = job["dns_sd_configs"]
    assert sorted(dns["names"]) == sorted(SERVICES)
    assert (dns["type"], dns["port"]) == ("A", 8080)  # one A record per replica


def test_the_dashboard_plots_metrics_the_services_export() -> None:
    from prometheus_client import REGISTRY

    from candlecast.shared.adapters import metrics

    assert metrics.MESSAGES_IN  # importing registers the collectors
    exported = {
        f"{family.name}{suffix}"
        for family in REGISTRY.collect()
        for suffix in SUFFIXES.get(family.type, [""])
    }
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "candlecast.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"candlecast_\w+", expr)}
    assert used <= exported, used - exported
    for wanted in ("messages_in", "messages_out", "dead_lettered", "group_lag", "group_pending"):
        assert any(wanted in name for name in used), wanted
    assert any("histogram_quantile(0.99" in e for e in exprs)
    assert "candlecast_model_info" in used
    datasource = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {datasource["datasources"][0]["uid"]}


@pytest.mark.redis
@pytest.mark.e2e
def test_each_compose_command_starts_against_local_redis(redis_url: str, tmp_path: Path) -> None:
    """Run every service as compose would (its command and environment), Redis and volume swapped."""
    spec = compose()["services"]
    procs = {}
    for name in SERVICES:
        env = {**os.environ, **{k: interpolate(v) for k, v in spec[name]["environment"].items()}}
        env |= {"CANDLECAST_REDIS_URL": redis_url, "CANDLECAST_HOME": str(tmp_path)}
        env.pop("CANDLECAST_HTTP_PORT")  # one host here: four servers on 8080 would collide
        log = (tmp_path / f"{name}.log").open("wb")
        cmd = [sys.executable, "-m", "candlecast.cli", *spec[name]["command"]]
        procs[name] = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = redis.Redis.from_url(redis_url)
    expected = {"drift", "features", "predictor", "recorder", "scorer", "trainer"}  # ingest runs the recorder
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
