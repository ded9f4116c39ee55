"""The health endpoints without Redis: request lines, replies, readiness reasons (a hand-written Redis)."""

from __future__ import annotations

import asyncio

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from candlecast.shared.adapters import metrics
from candlecast.shared.adapters.health import Probe, answer, handler, parse_request_line, response


class FakeRedis:
    """PING and XINFO GROUPS: `groups` per stream; a stream missing from it does not exist."""

    def __init__(self, groups: dict[str, list[str]], up: bool = True) -> None:
        self.groups, self.up = groups, up

    async def ping(self) -> bool:
        if not self.up:
            raise RedisConnectionError("Connection refused")
        return True

    async def xinfo_groups(self, stream: str) -> list[dict[str, object]]:
        if stream not in self.groups:
            raise ResponseError("no such key")
        return [{"name": name.encode(), "pending": 0, "lag": 0} for name in self.groups[stream]]


def test_request_lines_give_method_and_path_without_query() -> None:
    assert parse_request_line(b"GET /readyz HTTP/1.1\r\n") == ("GET", "/readyz")
    assert parse_request_line(b"GET /metrics?name[]=x HTTP/1.0\r\n") == ("GET", "/metrics")
    assert parse_request_line(b"POST /healthz HTTP/1.1\r\n") == ("POST", "/healthz")


def test_what_is_not_a_request_line_is_none() -> None:
    lines = (
        b"",
        b"\r\n",
        b"GET /healthz\r\n",
        b"GET healthz HTTP/1.1\r\n",
        b"GET / SSH-2.0\r\n",
        b"\x16\x03",
    )
    for line in lines:
        assert parse_request_line(line) is None, line


def test_a_response_has_its_status_length_and_closes() -> None:
    head, body = response(503, b"no model loaded yet\n").split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 503 Unavailable"
    assert "Content-Length: 20" in lines
    assert "Connection: close" in lines
    assert body == b"no model loaded yet\n"
    assert b"Allow: GET" in response(405, b"")


def status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def body(reply: bytes) -> str:
    return reply.split(b"\r\n\r\n", 1)[1].decode()


async def test_routes_answer_get_only() -> None:
    redis, probe = FakeRedis({}), Probe([])
    assert status(await answer("GET", "/healthz", redis, probe)) == 200
    assert status(await answer("POST", "/healthz", redis, probe)) == 405
    assert status(await answer("GET", "/", redis, probe)) == 404


async def test_metrics_are_the_prometheus_exposition() -> None:
    metrics.MODEL_REFUSALS.inc()
    reply = await answer("GET", "/metrics", FakeRedis({}), Probe([]))
    assert status(reply) == 200
    assert b"Content-Type: text/plain; version=" in reply
    assert "# TYPE candlecast_model_refusals_total counter" in body(reply)
    assert "candlecast_model_refusals_total " in body(reply)


async def test_ready_needs_redis_then_every_group_then_every_check() -> None:
    groups = [("s:bars", "features"), ("s:bars", "recorder")]
    loaded = False
    probe = Probe(groups)
    probe.require("no model loaded yet", lambda: loaded)

    down = await answer("GET", "/readyz", FakeRedis({"s:bars": ["features", "recorder"]}, up=False), probe)
    assert (status(down), body(down)) == (503, "Redis does not answer: ConnectionError\n")
    no_stream = await answer("GET", "/readyz", FakeRedis({}), probe)
    assert (status(no_stream), body(no_stream)) == (503, "group features on s:bars does not exist yet\n")
    one_group = await answer("GET", "/readyz", FakeRedis({"s:bars": ["features"]}), probe)
    assert body(one_group) == "group recorder on s:bars does not exist yet\n"
    redis = FakeRedis({"s:bars": ["features", "recorder"]})
    assert body(await answer("GET", "/readyz", redis, probe)) == "no model loaded yet\n"
    loaded = True
    assert status(await answer("GET", "/readyz", redis, probe)) == 200


async def exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    reply = await reader.read()  # until the server closes
    writer.close()
    return reply


async def test_the_server_answers_one_request_per_connection_and_closes() -> None:
    server = await asyncio.start_server(handler(FakeRedis({}), Probe([])), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        ok = await exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n")
        assert ok.startswith(b"HTTP/1.1 200 OK\r\n")
        assert body(ok) == "ok\n"
        assert status(await exchange(port, b"hello\r\n\r\n")) == 400
    finally:
        server.close()
        await server.wait_closed()
