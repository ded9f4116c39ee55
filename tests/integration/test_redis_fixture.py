"""The fixture's fallback: a Docker engine that answers but can't start a container gives a local server."""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis

from tests.conftest import docker_answers, some_redis

pytestmark = pytest.mark.redis


class EngineWithoutImages(BaseHTTPRequestHandler):
    """Answers /_ping and /version like a Docker engine; refuses everything else (no image, no registry)."""

    def _reply(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _any(self) -> None:
        if self.path.endswith("/_ping"):
            self._reply(200, b"OK", "text/plain")
        elif self.path.endswith("/version"):
            self._reply(200, json.dumps({"ApiVersion": "1.44", "Version": "25.0.0"}).encode())
        else:
            self._reply(500, json.dumps({"message": "pull access denied: no registry here"}).encode())

    do_GET = do_POST = do_HEAD = do_DELETE = _any  # noqa: N815 - http.server's handler names

    def log_message(self, *_: object) -> None:
        return None


@pytest.fixture
def engine_without_images() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EngineWithoutImages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_docker_engine_that_cannot_start_redis_falls_back_to_redis_server(
    engine_without_images, monkeypatch
) -> None:
    monkeypatch.delenv("CANDLECAST_TEST_REDIS_URL", raising=False)
    monkeypatch.setenv("DOCKER_HOST", engine_without_images)
    monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
    assert docker_answers()  # the engine answers, so the fixture tries a container first
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        with some_redis() as url:
            client = redis.Redis.from_url(url)
            assert client.ping()
            client.close()
    ours = [str(w.message) for w in warned if "can't start Redis" in str(w.message)]
    assert len(ours) == 1
    assert "no registry here" in ours[0]
    assert "\n" not in ours[0]
