"""Shared fixtures: one real Redis per session, flushed before each test that uses it.

Order: $CANDLECAST_TEST_REDIS_URL; else a testcontainers Redis when a Docker
daemon answers and can start one; else a throwaway `redis-server` on a free port. Never a fake.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
import redis

from candlecast.cli.embedded import local_redis
from candlecast.shared.adapters.numba_cache import clear_stale_cache

clear_stale_cache()  # before any test compiles the feature kernel


def docker_answers() -> bool:
    try:
        import docker

        return bool(docker.from_env(timeout=3).ping())
    except Exception:  # noqa: BLE001 - any failure means "no daemon here"
        return False


@contextmanager
def container_redis() -> Iterator[str]:
    from testcontainers.redis import RedisContainer

    with RedisContainer("redis:7-alpine") as container:
        host = container.get_container_host_ip()
        port = container.get_exposed_port(6379)
        yield f"redis://{host}:{port}/0"


@contextmanager
def some_redis() -> Iterator[str]:
    """The first that works of: the env's URL, a container, a local server (when Docker can't start one)."""
    url = os.environ.get("CANDLECAST_TEST_REDIS_URL")
    if url:
        yield url
        return
    with ExitStack() as stack:
        if docker_answers():
            try:
                url = stack.enter_context(container_redis())
            except Exception as exc:  # noqa: BLE001 - no image, no registry, no room: any of them
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
                warnings.warn(
                    f"Docker answers but can't start Redis ({first}); using redis-server", stacklevel=1
                )
        yield url or stack.enter_context(local_redis())


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    with some_redis() as url:
        yield url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    client.close()
    return redis_server
