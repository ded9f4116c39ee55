"""Redis Streams at the edge: groups, pending entries, and one atomic write per batch."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from candlecast.shared.adapters.wire import encode
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.entries import Entry, entry_from_fields

log = logging.getLogger(__name__)

Fields = dict[bytes, bytes]
Rows = list[tuple[bytes, Fields]]


def reply_rows(reply: object) -> list[tuple[str, Rows]]:
    """XREAD/XREADGROUP replies as (stream, [(id, fields)]), whatever redis-py's typing says."""
    streams = cast("list[tuple[bytes, Rows]]", reply or [])
    return [(name.decode(), rows) for name, rows in streams]


async def xread(redis: Redis, cursors: dict[str, str], block_ms: int, count: int) -> list[tuple[str, Rows]]:
    return reply_rows(await redis.xread(cursors, block=block_ms, count=count))  # type: ignore[arg-type]


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """Create the group at id 0 (so no earlier message is skipped); keep an existing one."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def last_id(redis: Redis, stream: str) -> str:
    """Id of the newest entry, or "0-0" for an empty stream."""
    newest = cast("Rows", await redis.xrevrange(stream, count=1))
    return newest[0][0].decode() if newest else "0-0"


@dataclass(slots=True)
class Outbox:
    """Everything one batch writes, committed together with its acks."""

    maxlen: int
    adds: list[tuple[str, bytes]] = field(default_factory=list)
    hashes: list[tuple[str, dict[str, bytes | str]]] = field(default_factory=list)
    acks: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def add(self, stream: str, message: BaseModel) -> None:
        self.adds.append((stream, encode(message)))

    def add_data(self, stream: str, data: bytes) -> None:
        """An already encoded JSON document (e.g. from `prediction_wire`)."""
        self.adds.append((stream, data))

    def put_hash(self, key: str, mapping: dict[str, bytes | str]) -> None:
        self.hashes.append((key, mapping))

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> None:
        if ids:
            self.acks.append((stream, group, list(ids)))


# One script per batch: one command, one reply, and no other client runs in between.
# Redis does not roll back a script that fails midway, so it checks every key and
# group first and writes only when all are fine: all or nothing.
# ARGV: maxlen, n_adds, (key_index, data)*, n_hashes, (key_index, n_pairs, field, value...)*,
#       n_acks, (key_index, group, n_ids, id...)*. KEYS lists every key touched.
COMMIT_SCRIPT = """
local function kind_ok(key, kind)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= kind then
    return redis.error_reply('WRONGTYPE ' .. key .. ' is a ' .. t .. ', not a ' .. kind)
  end
end
local function has_group(key, group)
  if redis.call('EXISTS', key) == 0 then return true end  -- XACK on no key is a no-op
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    for i = 1, #g, 2 do
      if g[i] == 'name' and g[i + 1] == group then return true end
    end
  end
  return false
end
local function walk(write)
  local a = 1
  local maxlen = ARGV[a]; a = a + 1
  local n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    local key = KEYS[tonumber(ARGV[a])]
    if write then
      redis.call('XADD', key, 'MAXLEN', '~', maxlen, '*', '__data__', ARGV[a + 1])
    else
      local err = kind_ok(key, 'stream'); if err then return err end
    end
    a = a + 2
  end
  n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    local key, pairs = KEYS[tonumber(ARGV[a])], tonumber(ARGV[a + 1])
    if write then
      redis.call('HSET', key, unpack(ARGV, a + 2, a + 1 + 2 * pairs))
    else
      local err = kind_ok(key, 'hash'); if err then return err end
    end
    a = a + 2 + 2 * pairs
  end
  n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    local key, group, count = KEYS[tonumber(ARGV[a])], ARGV[a + 1], tonumber(ARGV[a + 2])
    if write then
      for i = a + 3, a + 2 + count, 4000 do
        redis.call('XACK', key, group, unpack(ARGV, i, math.min(i + 3999, a + 2 + count)))
      end
    elseif not has_group(key, group) then
      return redis.error_reply('NOGROUP ' .. group .. ' on ' .. key)
    end
    a = a + 3 + count
  end
end
local err = walk(false)
if err then return err end
walk(true)
return 1
"""


def commit_args(outbox: Outbox) -> tuple[list[str], list[bytes | str | int]]:
    """KEYS and ARGV of `COMMIT_SCRIPT` for one outbox."""
    keys: dict[str, int] = {}

    def index(key: str) -> int:
        return keys.setdefault(key, len(keys) + 1)

    argv: list[bytes | str | int] = [outbox.maxlen, len(outbox.adds)]
    for stream, data in outbox.adds:
        argv += [index(stream), data]
    argv.append(len(outbox.hashes))
    for key, mapping in outbox.hashes:
        argv += [index(key), len(mapping)]
        for name, value in mapping.items():
            argv += [name, value]
    argv.append(len(outbox.acks))
    for stream, group, ids in outbox.acks:
        argv += [index(stream), group, len(ids), *ids]
    return list(keys), argv


async def commit(redis: Redis, outbox: Outbox) -> None:
    """Outputs, checkpoints and acks land together or not at all (one Lua script)."""
    if outbox.adds or outbox.hashes or outbox.acks:
        keys, argv = commit_args(outbox)
        await redis.register_script(COMMIT_SCRIPT)(keys=keys, args=argv)


async def publish(redis: Redis, stream: str, message: BaseModel, maxlen: int) -> str:
    """A single XADD of one message (for rare events and commands)."""
    data = encode(message)
    entry_id = await redis.xadd(stream, {DATA_FIELD: data}, maxlen=maxlen, approximate=True)
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


BatchHandler = Callable[[list[Entry]], Awaitable[None]]


async def drain_pending(
    redis: Redis, stream: str, group: str, consumer: str, handle: BatchHandler, count: int
) -> int:
    """Re-run this consumer's own unacked entries (left by a crash) before reading new ones."""
    start, total = "0", 0
    while True:
        replies = reply_rows(await redis.xreadgroup(group, consumer, {stream: start}, count=count))
        rows = replies[0][1] if replies else []
        if not rows:
            return total
        trimmed = [i for i, f in rows if not f]  # pending, but trimmed away by MAXLEN
        if trimmed:
            await redis.xack(stream, group, *trimmed)
        entries = [entry_from_fields(i, f) for i, f in rows if f]
        start = rows[-1][0].decode()
        if not entries:
            continue
        log.info("reclaiming %d pending entries of %s for %s", len(entries), stream, consumer)
        await handle(entries)
        total += len(entries)


async def reclaim_from(redis: Redis, stream: str, group: str, dead: str, me: str) -> int:
    """Move every entry pending for consumer `dead` to `me`, then forget `dead`."""
    moved = 0
    while True:
        pending = await redis.xpending_range(stream, group, "-", "+", 1_000, consumername=dead)
        ids: list[int | bytes | str | memoryview[int]] = [p["message_id"] for p in pending]
        if not ids:
            break
        await redis.xclaim(stream, group, me, 0, ids, justid=True)
        moved += len(ids)
    await redis.xgroup_delconsumer(stream, group, dead)
    log.warning("reclaimed %d pending entries of %s on %s from dead consumer %s", moved, group, stream, dead)
    return moved
