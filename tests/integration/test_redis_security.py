"""Security settings against a real `redis-server` with an ACL user, a password and TLS only (no plain port).

A client built from settings (user, password, CA file) reaches it; a wrong password or a missing CA
gives `redis_problem`'s one line; no log line and no masked URL carries the password.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr

from candlecast.cli.embedded import free_port
from candlecast.shared.adapters.connect import client, mask_url, redis_problem, sync_client, wait_until_up
from candlecast.shared.core.constants import GROUP_FEATURES
from candlecast.shared.settings import Settings
from tests.support.tls import Certs, make_certs

pytestmark = pytest.mark.redis

USER, PASSWORD = "pipeline", "Tr0ub4dor&3-not-in-logs"
WRONG = "wrong-pw-not-in-logs"
BARS = Settings().keys.bars


@dataclass(frozen=True)
class SecureRedis:
    url: str  # rediss://, no credentials in it
    certs: Certs

    def settings(self, password: str = PASSWORD, ca: bool = True, **kw: object) -> Settings:
        ca_file = self.certs.ca if ca else None
        kw = {"redis_url": self.url, "redis_username": USER, **kw}
        return Settings(redis_password=SecretStr(password), redis_ca_file=ca_file, **kw)


def server_args(port: int, certs: Certs, folder: Path) -> list[str]:
    tls = ["--tls-port", str(port), "--tls-cert-file", str(certs.cert), "--tls-key-file", str(certs.key)]
    tls += ["--tls-ca-cert-file", str(certs.ca), "--tls-auth-clients", "no"]
    acl = ["--user", "default", "off", "--user", USER, "on", f">{PASSWORD}", "~*", "&*", "+@all"]
    acl += ["--user", "pinger", "on", ">pinger-pw", "+ping", "+hello"]
    rest = ["--port", "0", "--bind", "127.0.0.1", "--dir", str(folder), "--save", "", "--appendonly", "no"]
    return ["redis-server", *tls, *acl, *rest]


def wait_ready(redis: SecureRedis, proc: subprocess.Popen[bytes], log: Path) -> None:
    probe = sync_client(redis.settings())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.skip(f"redis-server without TLS or ACL here: {log.read_text()[-300:]}")
        try:
            if probe.ping():
                probe.close()
                return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    raise RuntimeError("secure redis-server did not answer")


@pytest.fixture(scope="module")
def secure_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("no redis-server on PATH")
    folder = tmp_path_factory.mktemp("secure-redis")
    certs, port = make_certs(folder), free_port()
    log = folder / "redis.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(server_args(port, certs, folder), stdout=out, stderr=subprocess.STDOUT)
    redis = SecureRedis(f"rediss://127.0.0.1:{port}/0", certs)
    try:
        wait_ready(redis, proc, log)
        yield redis
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_settings_with_user_password_and_ca_reach_redis_over_tls(secure_redis) -> None:
    r = client(secure_redis.settings())
    try:
        assert await r.ping()
        await r.xgroup_create("s", "g", id="0", mkstream=True)
        entry_id = await r.xadd("s", {"__data__": b"{}"})
        reply = await r.xreadgroup("g", "c", {"s": ">"}, count=10)
        assert [i for i, _ in reply[0][1]] == [entry_id]
        assert await r.xack("s", "g", entry_id) == 1
        assert (await r.acl_whoami()) in {USER, USER.encode()}
    finally:
        await r.aclose()


async def problem_of(settings: Settings) -> str | None:
    r = client(settings)
    try:
        await r.ping()
    except Exception as exc:  # noqa: BLE001 - the point is to look at it
        return redis_problem(exc, settings.url)
    finally:
        await r.aclose()
    return None


async def test_a_wrong_password_is_one_line_without_the_password(secure_redis) -> None:
    line = await problem_of(secure_redis.settings(WRONG))
    assert line is not None
    assert line.startswith(f"Redis at {secure_redis.url}: authentication failed")
    assert WRONG not in line
    # The same password in the URL instead of the settings: masked there too.
    in_url = secure_redis.url.replace("rediss://", f"rediss://{USER}:{WRONG}@")
    line = await problem_of(Settings(redis_url=in_url, redis_ca_file=secure_redis.certs.ca))
    assert line is not None
    assert f"rediss://{USER}:***@127.0.0.1" in line
    assert WRONG not in line
    assert WRONG not in mask_url(in_url)


async def test_an_untrusted_server_certificate_is_a_tls_problem(secure_redis) -> None:
    line = await problem_of(secure_redis.settings(ca=False))
    assert line is not None
    assert "certificate verify failed" in line


async def test_a_missing_permission_and_a_wrong_database_are_named(secure_redis) -> None:
    wrong_db = secure_redis.settings(redis_url=secure_redis.url.replace("/0", "/99"))
    assert "DB index is out of range" in (await problem_of(wrong_db) or "")
    r = client(secure_redis.settings("pinger-pw", redis_username="pinger"))
    try:
        assert await r.ping()
        with pytest.raises(Exception) as refused:
            await r.xadd("s", {"k": b"v"})
    finally:
        await r.aclose()
    assert "lacks an ACL permission" in (redis_problem(refused.value, secure_redis.url) or "")


async def test_waiting_on_a_refusal_logs_one_line_and_never_the_password(secure_redis, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("candlecast.test")
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(1.5, stop.set)
    wrong = client(secure_redis.settings(WRONG))
    assert not await wait_until_up(wrong, secure_redis.url, stop, log)  # several tries, then stopped
    await wrong.aclose()
    right = client(secure_redis.settings())
    assert await wait_until_up(right, secure_redis.url, None, log)
    await right.aclose()

    ours = [r.getMessage() for r in caplog.records if r.name == "candlecast.test"]
    waiting = (
        f"waiting for Redis at {secure_redis.url}: authentication failed: wrong user name or password "
        "(invalid username-password pair or user is disabled.); retrying with backoff"
    )
    assert ours == [waiting, f"Redis at {secure_redis.url} is up"]
    everything = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert WRONG not in everything
    assert PASSWORD not in everything


def non_loopback_ip() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        except OSError:
            return None
        ip = str(s.getsockname()[0])
    return None if ip.startswith("127.") else ip


async def test_protected_mode_is_named(tmp_path) -> None:
    ip = non_loopback_ip()
    if ip is None:
        pytest.skip("no non-loopback address: protected mode only refuses those")
    port = free_port()
    args = ["redis-server", "--port", str(port), "--bind", "* -::*", "--protected-mode", "yes"]
    args += ["--dir", str(tmp_path), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        line = None
        for _ in range(100):  # until the server listens
            line = await problem_of(Settings(redis_url=f"redis://{ip}:{port}/0"))
            if line is not None and "protected mode" in line:
                break
            await asyncio.sleep(0.05)
        assert line is not None
        assert "protected mode" in line
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_service_consumes_over_tls_with_settings_from_the_environment(secure_redis, tmp_path) -> None:
    """`candlecast run features` with rediss://, user, password and CA file from CANDLECAST_* variables."""
    env = {
        **os.environ,
        "CANDLECAST_REDIS_URL": secure_redis.url,
        "CANDLECAST_REDIS_USERNAME": USER,
        "CANDLECAST_REDIS_PASSWORD": PASSWORD,
        "CANDLECAST_REDIS_CA_FILE": str(secure_redis.certs.ca),
        "CANDLECAST_HOME": str(tmp_path),
        "CANDLECAST_LOG_LEVEL": "DEBUG",
    }
    log = tmp_path / "features.log"
    cmd = [sys.executable, "-m", "candlecast.cli", "run", "features"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    r = sync_client(secure_redis.settings())
    try:
        junk = r.xadd(BARS, {"__data__": b"not a bar"})  # dead-lettered and acked once consumed
        group = wait_until(lambda: consumed(r, junk), proc, log)
    finally:
        r.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    text = log.read_text()
    assert f"Redis at {secure_redis.url} is up" in text
    assert group["name"] == GROUP_FEATURES.encode()
    assert group["pending"] == 0
    assert PASSWORD not in text
    assert proc.returncode == 0, text[-2000:]


def consumed(r: redis.Redis, entry_id: bytes) -> dict | None:
    """The service's group on `bars` once it has read and acked `entry_id`."""
    groups = r.xinfo_groups(BARS) if r.exists(BARS) else []
    done = [g for g in groups if g["last-delivered-id"] == entry_id and g["pending"] == 0]
    return done[0] if done else None


def wait_until(check: Callable[[], dict | None], proc: subprocess.Popen[bytes], log: Path) -> dict:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-2000:]
        found = check()
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not consumed within 90 s: {log.read_text()[-2000:]}")
