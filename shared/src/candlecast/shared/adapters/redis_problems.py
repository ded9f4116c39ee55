"""Why Redis can't be reached, in one line, and URLs fit to log (their password masked)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoPermissionError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

# (any of these in the error's text, what to say); the first match wins, so specific ones come first.
RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("wrongpass", "invalid username-password"), "authentication failed: wrong user name or password"),
    (
        ("noauth", "authentication required", "client already authenticated"),
        "authentication required: set a user and password",
    ),
    (("noperm",), "the user lacks an ACL permission"),
    (("protected mode",), "refused: Redis runs in protected mode (set a password, or bind it explicitly)"),
    (("db index is out of range", "invalid database"), "no such database: DB index is out of range"),
    (("certificate verify failed",), "TLS failed: certificate verify failed (check the CA file)"),
    (("[ssl", "ssl:", "sslerror", "wrong version number", "record layer"), "TLS handshake failed"),
    (("is loading",), "Redis is loading its data set"),
    (("timeout", "timed out"), "timed out"),
    (
        ("name or service not known", "nodename nor servname", "name resolution", "getaddrinfo"),
        "host name not found (DNS)",
    ),
    (("connection refused", "connect call failed", "error 111 "), "connection refused"),
    (("closed by server", "connection reset", "broken pipe"), "connection closed by the server"),
)
# When the text says nothing we know: by the error's type.
KINDS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    (ssl.SSLError, "TLS handshake failed"),
    (socket.gaierror, "host name not found (DNS)"),
    (RedisTimeoutError, "timed out"),
    (NoPermissionError, "the user lacks an ACL permission"),
    ((RedisConnectionError, ConnectionError), "cannot connect"),
)
MAX_CHAIN = 8


def mask_url(url: str) -> str:
    """The URL with its password (in the user part or the query) replaced by `***`; the user is kept."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    netloc = f"{user}:***@{host}" if at and colon else parts.netloc
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, "***" if "pass" in k.lower() else v) for k, v in pairs], safe="*/")
    return urlunsplit(parts._replace(netloc=netloc, query=query if pairs else parts.query))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The error, then what caused it (explicitly or while handling), a few levels deep."""
    seen: BaseException | None = exc
    for _ in range(MAX_CHAIN):
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__


def _about_redis(exc: BaseException) -> bool:
    """Redis's own errors and the network's; not a bare TimeoutError, which any `wait_for` raises."""
    return isinstance(exc, (RedisError, ConnectionError, socket.gaierror, ssl.SSLError))


def _what(exc: BaseException) -> str | None:
    text = f"{type(exc).__name__} {exc}".lower()
    found = (what for needles, what in RULES if any(n in text for n in needles))
    return next(found, None) or next((what for kind, what in KINDS if isinstance(exc, kind)), None)


def _secrets(url: str | None) -> list[str]:
    password = urlsplit(url).password if url else None
    return [p for p in {password, unquote(password or "")} if p]


def redis_problem(exc: BaseException, url: str | None = None) -> str | None:
    """One line on why Redis can't be reached or refuses us, with the masked URL; None for other errors."""
    for link in _chain(exc):
        what = _what(link) if _about_redis(link) else None
        if what is None:
            continue
        detail = str(link).strip().splitlines()[0][:200] if str(link).strip() else type(link).__name__
        for secret in _secrets(url):
            detail = detail.replace(secret, "***")
        where = f"Redis at {mask_url(url)}" if url else "Redis"
        return f"{where}: {what} ({detail})"
    return None
