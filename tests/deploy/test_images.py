"""deploy/Dockerfile and its scripts without Docker: two stages, a lean non-root final stage,
a warm numba cache, one consumer name per container, and `make test-docker` skipping cleanly."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def stages() -> list[str]:
    """The Dockerfile's stages, each from its FROM line."""
    text = (DEPLOY / "Dockerfile").read_text()
    return ["FROM" + part for part in re.split(r"^FROM", text, flags=re.MULTILINE)[1:]]


def test_the_final_stage_copies_the_built_venv_and_builds_nothing() -> None:
    builder, final = stages()
    assert builder.startswith("FROM python:3.11-slim AS builder")
    assert "pip wheel" in builder
    assert "prune-venv" in builder
    assert "COPY --from=builder /opt/venv /opt/venv" in final
    for word in ("pip install", "pip wheel", "binutils", "gcc", "build-essential", "COPY shared", "tests"):
        assert word not in final, word
    assert "rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin" in final  # no apt cache in the layer


def test_the_final_stage_runs_as_uid_10001_with_a_warm_writable_numba_cache() -> None:
    _, final = stages()
    assert "useradd --create-home --uid 10001" in final
    assert re.search(r"^USER 10001$", final, flags=re.MULTILINE)
    assert "NUMBA_CACHE_DIR=/var/cache/candlecast/numba" in final
    assert 'chown candlecast /data "$NUMBA_CACHE_DIR"' in final
    # compiled after USER, so as uid 10001, and after the venv is in place (numba checks the sources)
    user, copy, warm = (final.index(s) for s in ("USER 10001", "COPY --from=builder", "advance(new_state("))
    assert copy < user < warm


def test_prune_keeps_what_services_import(tmp_path: Path) -> None:
    prune = (DEPLOY / "prune-venv.sh").read_text()
    for module in ("numpy", "pyarrow.parquet", "lightgbm", "numba", "candlecast.shared.adapters.barstore"):
        assert f'"{module}"' in prune, module  # imported after pruning, so a broken prune fails the build
    result = subprocess.run(
        ["sh", "-n", DEPLOY / "prune-venv.sh"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def fake_candlecast(folder: Path) -> dict[str, str]:
    """PATH with a `candlecast` that prints its consumer name and arguments."""
    script = folder / "candlecast"
    script.write_text('#!/bin/sh\necho "$CANDLECAST_CONSUMER|$*"\n')
    script.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in {"CANDLECAST_CONSUMER", "HOSTNAME"}}
    return env | {"PATH": f"{folder}:/usr/bin:/bin"}


def test_the_entrypoint_names_the_consumer_after_the_container(tmp_path: Path) -> None:
    env = fake_candlecast(tmp_path) | {"HOSTNAME": "3f2a9c1b7d0e"}
    run = subprocess.run(
        [DEPLOY / "entrypoint.sh", "run", "predictor"], env=env, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "3f2a9c1b7d0e|run predictor"  # no pid: the same after a restart


def test_the_entrypoint_keeps_a_consumer_name_set_by_the_operator(tmp_path: Path) -> None:
    env = fake_candlecast(tmp_path) | {"HOSTNAME": "3f2a9c1b7d0e", "CANDLECAST_CONSUMER": "predictor-a"}
    run = subprocess.run(
        [DEPLOY / "entrypoint.sh", "--help"], env=env, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "predictor-a|--help"


def test_make_test_docker_skips_with_exit_0_when_no_engine_answers(tmp_path: Path) -> None:
    docker = tmp_path / "docker"
    docker.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    docker.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:/usr/bin:/bin"}
    run = subprocess.run(
        [REPO / "tests" / "docker" / "run_docker_test.sh"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no Docker engine answers" in run.stdout
    assert "build" not in run.stdout  # nothing was attempted
