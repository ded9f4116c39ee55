"""Shared fixtures: one real Redis per session, flushed before each test that uses it.

Order: $CANDLECAST_TEST_REDIS_URL; else a testcontainers Redis when a Docker
daemon answers; else a throwaway `redis-server` on a free port. Never a fake.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

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


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    url = os.environ.get("CANDLECAST_TEST_REDIS_URL")
    if url:
        yield url
    elif docker_answers():
        with container_redis() as url:
            yield url
    else:
        with local_redis() as url:
            yield url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    client = redis.Redis.from_url(redis_server)
    client.flushdb()
    client.close()
    return redis_server
