"""`/healthz`, `/readyz` and `/metrics` over plain HTTP, when `CANDLECAST_HTTP_PORT` is set.

One request per connection, GET only, answered and closed: enough for a Docker
healthcheck, a Kubernetes probe and a Prometheus scrape, with no web framework.

- `/healthz`: 200 while the event loop runs (it answers this);
- `/readyz`: 200 when Redis answers PING, every group of the service exists and the
  service's own checks pass (the predictor's: a model is loaded); else 503 and the reason;
- `/metrics`: the Prometheus text exposition of `metrics.py` (and the process's own).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from candlecast.shared.adapters.connect import client
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.health")

READ_TIMEOUT_S = 5.0  # a client that sends no request line within this is dropped
READY_TIMEOUT_S = 1.5  # a readiness check that takes longer answers 503 (healthchecks wait 2 s)
MAX_HEADER_LINES = 100
TEXT = "text/plain; charset=utf-8"
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Unavailable"}


@dataclass(slots=True)
class Probe:
    """What readiness means for one service: its (stream, group) pairs and its own checks."""

    groups: Sequence[tuple[str, str]]
    checks: list[tuple[str, Callable[[], bool]]] = field(default_factory=list)

    def require(self, reason: str, check: Callable[[], bool]) -> None:
        """Not ready, saying `reason`, while `check()` is False."""
        self.checks.append((reason, check))


def parse_request_line(line: bytes) -> tuple[str, str] | None:
    """(method, path without its query) of an HTTP/1.x request line, or None if it is not one."""
    parts = line.decode("latin-1").strip().split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[1].startswith("/"):
        return None
    return parts[0], parts[1].split("?", 1)[0]


def response(status: int, body: bytes, content_type: str = TEXT) -> bytes:
    head = (
        f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    )
    allow = "Allow: GET\r\n" if status == 405 else ""
    return f"{head}{allow}\r\n".encode() + body


async def groups_missing(redis: Redis, groups: Sequence[tuple[str, str]]) -> str | None:
    """The first (stream, group) that does not exist yet, as a reason."""
    for stream in sorted({s for s, _ in groups}):
        try:
            found = {g["name"] for g in await redis.xinfo_groups(stream)}
        except ResponseError:  # no such key: no stream, so no group
            found = set()
        names = {n.decode() if isinstance(n, bytes) else n for n in found}
        for s, group in groups:
            if s == stream and group not in names:
                return f"group {group} on {stream} does not exist yet"
    return None


async def not_ready(redis: Redis, probe: Probe) -> str | None:
    """Why the service is not ready, or None when it is."""
    try:
        await redis.ping()
    except Exception as exc:  # noqa: BLE001 - any failure to answer is "not ready"
        return f"Redis does not answer: {type(exc).__name__}"
    missing = await groups_missing(redis, probe.groups)
    if missing:
        return missing
    return next((reason for reason, check in probe.checks if not check()), None)


async def answer(method: str, path: str, redis: Redis, probe: Probe) -> bytes:
    if method != "GET":
        return response(405, b"GET only\n")
    if path == "/healthz":
        return response(200, b"ok\n")
    if path == "/metrics":
        return response(200, generate_latest(), CONTENT_TYPE_LATEST)
    if path != "/readyz":
        return response(404, b"/healthz, /readyz or /metrics\n")
    try:
        reason = await asyncio.wait_for(not_ready(redis, probe), READY_TIMEOUT_S)
    except TimeoutError:
        reason = f"Redis did not answer within {READY_TIMEOUT_S:g} s"
    except Exception as exc:  # noqa: BLE001 - any failure of the check is "not ready"
        reason = f"readiness check failed: {type(exc).__name__}"
    return response(200, b"ready\n") if reason is None else response(503, f"{reason}\n".encode())


async def request_of(reader: asyncio.StreamReader) -> tuple[str, str] | None:
    """Read a request line and its headers (unused, read so the close is clean)."""
    request = parse_request_line(await reader.readline())
    for _ in range(MAX_HEADER_LINES):
        if (await reader.readline()).strip() == b"":
            break
    return request


def handler(
    redis: Redis, probe: Probe
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def serve_one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(request_of(reader), READ_TIMEOUT_S)
            if request is None:
                writer.write(response(400, b"bad request\n"))
            else:
                writer.write(await answer(*request, redis, probe))
            await writer.drain()
        except (TimeoutError, ValueError, ConnectionError) as exc:  # slow, oversized or gone: drop it
            log.debug("health request dropped: %r", exc)
        finally:
            writer.close()

    return serve_one


@asynccontextmanager
async def serving(settings: Settings, groups: Sequence[tuple[str, str]]) -> AsyncIterator[Probe]:
    """Serve the endpoints for the duration of the block (nothing when `http_port` is None).

    Readiness uses a Redis client of its own, so it answers while the service waits for Redis.
    """
    probe = Probe(groups)
    if settings.http_port is None:
        yield probe
        return
    redis = client(settings)
    try:
        server = await asyncio.start_server(handler(redis, probe), port=settings.http_port)
    except OSError:  # the port is taken, say
        await redis.aclose()
        raise
    log.info("health and metrics on port %d", settings.http_port)
    try:
        yield probe
    finally:
        server.close()
        await server.wait_closed()
        await redis.aclose()


Main = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def with_health(settings: Settings, groups: Sequence[tuple[str, str]], main: Main) -> Main:
    """`main(stop)` inside `serving(settings, groups)`, for a service's `run_until_stopped`."""

    async def run(stop: asyncio.Event) -> None:
        async with serving(settings, groups):
            await main(stop)

    return run
