"""The fast RESP packer sends exactly what redis-py's own packer sends."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import Connection
from redis.exceptions import DataError

from candlecast.shared.adapters.packing import fast

COMMANDS = [
    ("EVALSHA", "a" * 40, 2, "k1", "k2", 200_000, b'{"x": 1.5}', "1-0", b"=", -3, 0.1, 1e300, "é"),
    ("XADD", b"s", "*", "__data__", b"\x00\xff binary"),
    ("CONFIG GET", "maxmemory"),  # a command of two words: redis-py splits it
    ("PING",),
    ("SET", "k", memoryview(b"view")),  # not a type the fast path takes: redis-py packs it
]


@pytest.mark.parametrize("args", COMMANDS, ids=[str(c[0]) for c in COMMANDS])
def test_the_fast_packer_sends_the_same_bytes_as_redis_py(args: tuple[object, ...]) -> None:
    plain, quick = Connection(), fast(Connection)()
    assert b"".join(quick.pack_command(*args)) == b"".join(bytes(c) for c in plain.pack_command(*args))


def test_a_bool_is_refused_as_redis_py_refuses_it() -> None:
    with pytest.raises(DataError):
        fast(Connection)().pack_command("SET", "k", True)  # noqa: FBT003 - the value under test
