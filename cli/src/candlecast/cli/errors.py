"""A user's mistake ends the command with one readable line, not a traceback."""

from __future__ import annotations

import typer
from pydantic import ValidationError
from redis.exceptions import RedisError

from candlecast.shared.adapters.redis_problems import redis_problem
from candlecast.shared.settings import Settings


class UserError(Exception):
    """Something the user can fix: a missing extra, a wrong name, a bad value."""


# Raised by what a user typed or configured (a file, a name, a value, the Redis URL), not by bugs.
USER_ERRORS = (UserError, OSError, ValueError, RedisError)
REDIS_DOWN = 5  # the exit code when Redis can't be reached or refuses us (auth, ACL, TLS, database)


def redis_line(exc: BaseException) -> str | None:
    """One line on why Redis can't be reached, with the configured URL masked; None if that isn't it."""
    try:
        url: str | None = Settings().url
    except ValueError:  # the settings themselves are wrong: say what Redis said, without a URL
        url = None
    return redis_problem(exc, url)


def one_line(exc: BaseException) -> str:
    """The first thing worth saying about an error, on one line."""
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"invalid {exc.title}: {where + ': ' if where else ''}{first['msg']}"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename or exc}"
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


INTERRUPTED = 130  # Ctrl-C: the shell's code for SIGINT, and no traceback


def usage_line(exc: typer.TyperException) -> str:
    """A command-line mistake (a bad option value, a missing argument) on one line, with where to look."""
    path: str | None = getattr(getattr(exc, "ctx", None), "command_path", None)
    where = f" (see {path} --help)" if path else ""
    text = " ".join(exc.format_message().split())  # click wraps long messages
    return f"{text}{where}"
