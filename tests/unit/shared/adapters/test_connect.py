"""Redis connections without a server: masked URLs, one-line problems, options built from settings."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr
from redis.asyncio import SSLConnection
from redis.exceptions import AuthenticationError, NoPermissionError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from candlecast.shared.adapters.connect import client, mask_url, redis_problem, sync_client
from candlecast.shared.settings import Settings

URL = "redis://app:s3cr%23t@cache.example:6380/2"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (URL, "redis://app:***@cache.example:6380/2"),
        ("rediss://:hunter2@h:6379/0", "rediss://:***@h:6379/0"),
        ("redis://h:6379/0?password=hunter2&db=1", "redis://h:6379/0?password=***&db=1"),
        ("redis://app@h:6379/0", "redis://app@h:6379/0"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://u:p@ss@h:1/0", "redis://u:***@h:1/0"),
    ],
)
def test_mask_url_hides_the_password_and_keeps_the_rest(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def refused() -> RedisConnectionError:
    return RedisConnectionError("Error 111 connecting to cache.example:6380. Connection refused.")


@pytest.mark.parametrize(
    ("exc", "says"),
    [
        (refused(), "connection refused"),
        (RedisTimeoutError("Timeout connecting to server"), "timed out"),
        (RedisConnectionError("Error -2 connecting to nohost:6379. Name or service not known."), "DNS"),
        (AuthenticationError("invalid username-password pair or user is disabled."), "wrong user name"),
        (ResponseError("WRONGPASS invalid username-password pair"), "wrong user name or password"),
        (AuthenticationError("Authentication required."), "authentication required"),
        (ResponseError("NOAUTH Authentication required."), "authentication required"),
        (NoPermissionError("this user has no permissions to run the 'xadd' command"), "ACL permission"),
        (ResponseError("DENIED Redis is running in protected mode because ..."), "protected mode"),
        (ResponseError("DB index is out of range"), "DB index is out of range"),
        (
            RedisConnectionError(
                "Error 1 connecting to h:6380. [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
            ),
            "certificate verify failed",
        ),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), "TLS handshake failed"),
        (socket.gaierror(-2, "Name or service not known"), "DNS"),
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (RedisConnectionError("Connection closed by server."), "closed by the server"),
    ],
)
def test_redis_problem_names_the_cause_with_the_masked_url(exc: BaseException, says: str) -> None:
    line = redis_problem(exc, URL)
    assert line is not None
    assert line.startswith("Redis at redis://app:***@cache.example:6380/2: ")
    assert says in line
    assert "\n" not in line
    assert "s3cr" not in line


@pytest.mark.parametrize(
    "exc",
    [
        ResponseError("NOGROUP No such key 'bars' or consumer group 'g'"),
        ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"),
        ValueError("connection refused by the model gate"),  # not a Redis or network error
        TimeoutError(),  # asyncio's: says nothing about Redis
        FileNotFoundError("model.txt"),
        KeyError("x"),
    ],
)
def test_redis_problem_is_none_for_other_errors(exc: BaseException) -> None:
    assert redis_problem(exc, URL) is None


def test_redis_problem_finds_the_cause_under_a_wrapper() -> None:
    try:
        try:
            raise refused()
        except RedisConnectionError as inner:
            raise RuntimeError("subscriber setup failed") from inner
    except RuntimeError as outer:
        line = redis_problem(outer, URL)
    assert line is not None
    assert "connection refused" in line


def test_redis_problem_scrubs_a_password_the_server_echoed() -> None:
    line = redis_problem(RedisConnectionError("Error 111 connecting with s3cr#t: refused"), URL)
    assert line is not None
    assert "s3cr#t" not in line
    assert "***" in line


def test_redis_problem_without_a_url_still_says_what() -> None:
    assert redis_problem(refused()) == f"Redis: connection refused ({refused()})"


def test_settings_credentials_override_the_urls() -> None:
    s = Settings(redis_url=URL, redis_username="svc", redis_password=SecretStr("other"))
    for kwargs in (
        client(s).connection_pool.connection_kwargs,
        sync_client(s).connection_pool.connection_kwargs,
    ):
        assert (kwargs["username"], kwargs["password"], kwargs["db"]) == ("svc", "other", 2)
        assert kwargs["socket_connect_timeout"] > 0
        assert kwargs["health_check_interval"] > 0


def test_the_urls_credentials_are_used_when_settings_have_none() -> None:
    kwargs = client(Settings(redis_url=URL)).connection_pool.connection_kwargs
    assert (kwargs["username"], kwargs["password"]) == ("app", "s3cr#t")


def test_tls_files_go_to_rediss_connections(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    s = Settings(redis_url="rediss://h:6380/0", redis_ca_file=ca)
    pool = client(s).connection_pool
    assert pool.connection_kwargs["ssl_ca_certs"] == str(ca)
    assert issubclass(pool.connection_class, SSLConnection)  # with the fast packer


def test_tls_files_on_a_plain_url_are_refused(tmp_path: Path) -> None:
    s = Settings(redis_url="redis://h:6379/0", redis_ca_file=tmp_path / "ca.pem")
    with pytest.raises(ValueError, match="not rediss://"):
        client(s)
