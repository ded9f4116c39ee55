"""A user's mistake ends the command with one readable line, not a traceback."""

from __future__ import annotations

from pydantic import ValidationError
from redis.exceptions import RedisError


class UserError(Exception):
    """Something the user can fix: a missing extra, a wrong name, a bad value."""


# Raised by what a user typed or configured (a file, a name, a value, the Redis URL), not by bugs.
USER_ERRORS = (UserError, OSError, ValueError, RedisError)


def one_line(exc: BaseException) -> str:
    """The first thing worth saying about an error, on one line."""
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"invalid {exc.title}: {where + ': ' if where else ''}{first['msg']}"
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename or exc}"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
