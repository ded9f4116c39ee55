"""Redis connections: the one place that builds clients, says why Redis can't be reached, and waits for it.

Credentials and TLS come from settings (`redis_username`, `redis_password`, `redis_ca_file`, ...),
which override the URL's. A URL is only ever logged through `mask_url`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import redis
import redis.asyncio
from redis.asyncio.connection import parse_url as parse_async_url
from redis.backoff import ExponentialBackoff
from redis.connection import parse_url as parse_sync_url
from redis.exceptions import RedisError

from candlecast.shared.adapters.packing import fast
from candlecast.shared.adapters.redis_problems import mask_url, redis_problem
from candlecast.shared.adapters.tasks import unless_stopped
from candlecast.shared.settings import Settings

__all__ = [
    "client",
    "mask_url",
    "reachable",
    "redis_problem",
    "sync_client",
    "wait_until_up",
]

CONNECT_TIMEOUT_S = 3.0  # a server that doesn't accept within this is "down", not "slow"
SOCKET_TIMEOUT_S = 10.0  # far above any blocking read we issue (about a second); a silent peer shows
HEALTH_CHECK_S = 15  # a connection idle this long is pinged before use, so a dead one is noticed
RETRIES = 2  # replaces a stale pooled connection at once; a down server still fails within seconds
FIRST_WAIT_S, MAX_WAIT_S = 0.2, 5.0

_log = logging.getLogger("candlecast.redis")


def _overrides(settings: Settings) -> dict[str, Any]:
    """What settings add to (or change in) the URL's options: credentials, TLS files, timeouts."""
    extra: dict[str, Any] = {}
    if settings.redis_username:
        extra["username"] = settings.redis_username
    if settings.redis_password is not None:
        extra["password"] = settings.redis_password.get_secret_value()
    files = {
        "ssl_ca_certs": settings.redis_ca_file,
        "ssl_certfile": settings.redis_cert_file,
        "ssl_keyfile": settings.redis_key_file,
    }
    tls = {k: str(v) for k, v in files.items() if v is not None}
    if tls and not _is_tls(settings.url):
        raise ValueError(f"Redis TLS files are set but the URL is not rediss://: {mask_url(settings.url)}")
    return extra | tls


def _is_tls(url: str) -> bool:
    return urlsplit(url).scheme == "rediss"


def _timeouts() -> dict[str, Any]:
    return {
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
        "socket_timeout": SOCKET_TIMEOUT_S,
        "health_check_interval": HEALTH_CHECK_S,
    }


def client(settings: Settings) -> redis.asyncio.Redis:
    """An asyncio client: bounded retries, connect timeout, health checks; the URL's options win over ours."""
    retry = redis.asyncio.retry.Retry(ExponentialBackoff(cap=0.5, base=0.05), RETRIES)
    options = {**_timeouts(), "retry": retry, **parse_async_url(settings.url), **_overrides(settings)}
    options["connection_class"] = fast(options.get("connection_class", redis.asyncio.Connection))
    return redis.asyncio.Redis.from_pool(redis.asyncio.ConnectionPool(**options))


def sync_client(settings: Settings) -> redis.Redis:
    """The same connection, blocking (for scripts and tests)."""
    retry = redis.retry.Retry(ExponentialBackoff(cap=0.5, base=0.05), RETRIES)
    url_options = parse_sync_url(settings.url)  # type: ignore[no-untyped-call]
    options = {**_timeouts(), "retry": retry, **url_options, **_overrides(settings)}
    return redis.Redis.from_pool(redis.ConnectionPool(**options))


async def wait_until_up(
    redis: redis.asyncio.Redis,
    url: str,
    stop: asyncio.Event | None = None,
    log: logging.Logger = _log,
) -> bool:
    """PING with capped exponential backoff until Redis answers; one line per new problem, one when up.

    False if `stop` is set meanwhile. An error that is not about reaching Redis is raised.
    """
    started, delay, said = time.monotonic(), FIRST_WAIT_S, None
    while True:
        try:
            if not await unless_stopped(redis.ping(), stop):
                return False
        except (RedisError, OSError) as exc:
            problem = redis_problem(exc, url)
            if problem is None:
                raise
            if problem != said:
                log.warning("waiting for %s; retrying with backoff", problem)
                said = problem
        else:
            took = f" after {time.monotonic() - started:.1f} s" if said else ""
            log.info("Redis at %s is up%s", mask_url(url), took)
            return True
        if not await unless_stopped(asyncio.sleep(delay), stop):
            return False
        delay = min(delay * 2, MAX_WAIT_S)


async def reachable(
    settings: Settings, stop: asyncio.Event | None = None, log: logging.Logger = _log
) -> bool:
    """`wait_until_up` on a client of its own, closed after: for code that builds its clients later."""
    probe = client(settings)
    try:
        return await wait_until_up(probe, settings.url, stop, log)
    finally:
        await probe.aclose()
