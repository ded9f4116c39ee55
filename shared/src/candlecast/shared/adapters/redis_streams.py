"""Redis Streams at the edge: groups, pending entries, and one atomic write per batch."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from candlecast.shared.adapters import metrics
from candlecast.shared.adapters.wire import encode
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.entries import Entry, clip, id_key
from candlecast.shared.core.messages import DeadLettered

log = logging.getLogger(__name__)
LOGGED_LETTERS = 5  # dead letters named one per line per commit; the rest are counted
SAME = b"="  # in the commit's ARGV: the previous add's document again (never a JSON document)

Fields = dict[bytes, bytes]
Rows = list[tuple[bytes, Fields]]


def reply_rows(reply: object) -> list[tuple[str, Rows]]:
    """XREAD/XREADGROUP replies as (stream, [(id, fields)]), whatever redis-py's typing says."""
    streams = cast("list[tuple[bytes, Rows]]", reply or [])
    return [(name.decode(), rows) for name, rows in streams]


async def xread(redis: Redis, cursors: dict[str, str], block_ms: int, count: int) -> list[tuple[str, Rows]]:
    return reply_rows(await redis.xread(cursors, block=block_ms, count=count))  # type: ignore[arg-type]


async def ensure_group(redis: Redis, stream: str, group: str) -> bool:
    """Create the group at id 0 (so no earlier message is skipped); keep an existing one.

    Returns True if it had to be created.
    """
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise
        return False
    return True


async def last_id(redis: Redis, stream: str) -> str:
    """Id of the newest entry, or "0-0" for an empty stream."""
    newest = cast("Rows", await redis.xrevrange(stream, count=1))
    return newest[0][0].decode() if newest else "0-0"


@dataclass(slots=True)
class Outbox:
    """Everything one batch writes, committed together with its acks."""

    maxlen: int
    adds: list[tuple[str, bytes, str]] = field(default_factory=list)
    hashes: list[tuple[str, dict[str, bytes | str]]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    appends: list[tuple[str, bytes]] = field(default_factory=list)
    acks: list[tuple[str, str, list[str]]] = field(default_factory=list)
    letters: list[DeadLettered] = field(default_factory=list)  # for metrics and the log

    def add(self, stream: str, message: BaseModel, source: str = "") -> None:
        self.add_data(stream, encode(message), source)
        if isinstance(message, DeadLettered):
            self.letters.append(message)

    def add_data(self, stream: str, data: bytes, source: str = "") -> None:
        """An encoded JSON document; with a `source` entry id, written only if this commit acks it."""
        self.adds.append((stream, data, source))

    def put_hash(self, key: str, mapping: dict[str, bytes | str]) -> None:
        self.hashes.append((key, mapping))

    def delete(self, key: str) -> None:
        """DEL `key` (after the hashes are written, before any append)."""
        self.deletes.append(key)

    def append(self, key: str, data: bytes) -> None:
        """APPEND `data` to the string at `key` (after the deletes)."""
        self.appends.append((key, data))

    def ack(self, stream: str, group: str, ids: Sequence[str]) -> None:
        if ids:
            self.acks.append((stream, group, list(ids)))


# One script per batch: one command, one reply, and no other client runs in between.
# Redis does not roll back a script that fails midway, so it checks every key and
# group first (each key once) and writes only when all are fine: all or nothing.
# Acks go first; an add with a source id is written only if that entry was still
# pending and this commit acked it. So a batch committed twice (a lost reply, a
# retry, two consumers holding one reclaimed entry) writes its outputs once.
# Each stream written to is trimmed once (MAXLEN ~ maxlen) after its adds.
# ARGV: maxlen, n_adds, (key_index, source, data or '=': the previous add's data)*,
#       n_hashes, (key_index, n_pairs, field, value...)*, n_deletes, key_index*,
#       n_appends, (key_index, data)*, n_acks, (key_index, group, n_ids, id...)*.
# KEYS lists every key touched.
# Returns the source ids whose adds were skipped because the entry was already acked.
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
local function check()
  local a = 2
  local n = tonumber(ARGV[a]); a = a + 1
  local seen = {}
  for _ = 1, n do
    local k = ARGV[a]
    if not seen[k] then
      seen[k] = true
      local err = kind_ok(KEYS[tonumber(k)], 'stream'); if err then return err end
    end
    a = a + 3
  end
  n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    local err = kind_ok(KEYS[tonumber(ARGV[a])], 'hash'); if err then return err end
    a = a + 2 + 2 * tonumber(ARGV[a + 1])
  end
  a = a + 1 + tonumber(ARGV[a])
  n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    local err = kind_ok(KEYS[tonumber(ARGV[a])], 'string'); if err then return err end
    a = a + 2
  end
  n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    local key, group = KEYS[tonumber(ARGV[a])], ARGV[a + 1]
    if not has_group(key, group) then return redis.error_reply('NOGROUP ' .. group .. ' on ' .. key) end
    a = a + 3 + tonumber(ARGV[a + 2])
  end
end
-- Ack ARGV[first..last] (ids in ascending order), marking in `acked` those that were pending:
-- one XPENDING over their range and an XACK per 1,000 ids, or one XACK per id when other
-- consumers' pending entries crowd the range.
local function ack_range(key, group, first, last, acked)
  local limit = 2 * (last - first + 1) + 64
  local pending = redis.call('XPENDING', key, group, ARGV[first], ARGV[last], limit)
  if #pending >= limit then
    for i = first, last do
      if redis.call('XACK', key, group, ARGV[i]) == 1 then acked[ARGV[i]] = true end
    end
    return
  end
  local mine = {}
  for i = first, last do mine[ARGV[i]] = true end
  for _, p in ipairs(pending) do
    if mine[p[1]] then acked[p[1]] = true end
  end
  for i = first, last, 1000 do
    redis.call('XACK', key, group, unpack(ARGV, i, math.min(i + 999, last)))
  end
end
local function ack_all()
  local acked = {}
  local a = 2
  a = a + 1 + 3 * tonumber(ARGV[a])
  local n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do a = a + 2 + 2 * tonumber(ARGV[a + 1]) end
  a = a + 1 + tonumber(ARGV[a])
  a = a + 1 + 2 * tonumber(ARGV[a])
  n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    local key, group, count = KEYS[tonumber(ARGV[a])], ARGV[a + 1], tonumber(ARGV[a + 2])
    ack_range(key, group, a + 3, a + 2 + count, acked)
    a = a + 3 + count
  end
  return acked
end
local function write(acked)
  local skipped, listed, trim, trimmed, data = {}, {}, {}, {}, nil
  local a = 2
  local n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    local key, source = KEYS[tonumber(ARGV[a])], ARGV[a + 1]
    if ARGV[a + 2] ~= '=' then data = ARGV[a + 2] end  -- '=': the previous add's document again
    if source == '' or acked[source] then
      redis.call('XADD', key, '*', '__data__', data)
      if not trimmed[key] then trimmed[key] = true; trim[#trim + 1] = key end
    elseif not listed[source] then
      listed[source] = true
      skipped[#skipped + 1] = source
    end
    a = a + 3
  end
  for _, key in ipairs(trim) do redis.call('XTRIM', key, 'MAXLEN', '~', ARGV[1]) end
  n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    local key, pairs = KEYS[tonumber(ARGV[a])], tonumber(ARGV[a + 1])
    redis.call('HSET', key, unpack(ARGV, a + 2, a + 1 + 2 * pairs))
    a = a + 2 + 2 * pairs
  end
  n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    redis.call('DEL', KEYS[tonumber(ARGV[a])])
    a = a + 1
  end
  n = tonumber(ARGV[a]); a = a + 1
  for _ = 1, n do
    redis.call('APPEND', KEYS[tonumber(ARGV[a])], ARGV[a + 1])
    a = a + 2
  end
  return skipped
end
local err = check()
if err then return err end
return write(ack_all())
"""


def commit_args(outbox: Outbox) -> tuple[list[str], list[bytes | str | int]]:
    """KEYS and ARGV of `COMMIT_SCRIPT` for one outbox."""
    keys: dict[str, int] = {}

    def index(key: str) -> int:
        return keys.setdefault(key, len(keys) + 1)

    argv: list[bytes | str | int] = [outbox.maxlen, len(outbox.adds)]
    previous: bytes | None = None
    for stream, data, source in outbox.adds:
        argv += [index(stream), source, SAME if data is previous else data]  # sent once, added twice
        previous = data
    argv.append(len(outbox.hashes))
    for key, mapping in outbox.hashes:
        argv += [index(key), len(mapping)]
        for name, value in mapping.items():
            argv += [name, value]
    argv.append(len(outbox.deletes))
    argv += [index(key) for key in outbox.deletes]
    argv.append(len(outbox.appends))
    for key, data in outbox.appends:
        argv += [index(key), data]
    argv.append(len(outbox.acks))
    for stream, group, ids in outbox.acks:
        argv += [index(stream), group, len(ids), *sorted(set(ids), key=id_key)]  # the script's range
    return list(keys), argv


async def commit(redis: Redis, outbox: Outbox) -> int:
    """Outputs, checkpoints and acks land together or not at all (one Lua script).

    Returns how many sourced outputs were skipped because their entry had been acked already.
    """
    if not (outbox.adds or outbox.hashes or outbox.deletes or outbox.appends or outbox.acks):
        return 0
    keys, argv = commit_args(outbox)
    reply = cast("list[bytes]", await redis.register_script(COMMIT_SCRIPT)(keys=keys, args=argv))
    skipped = frozenset(source.decode() for source in reply)
    n_skipped = sum(1 for _, _, source in outbox.adds if source in skipped) if skipped else 0
    if n_skipped:
        log.warning("skipped %d outputs of entries another commit had already acked", n_skipped)
    metrics.count_commit(outbox.adds, outbox.letters, skipped)
    log_letters([d for d in outbox.letters if d.entry_id not in skipped])
    return n_skipped


def log_letters(letters: Sequence[DeadLettered]) -> None:
    """One line per dead letter (its entry id and reason), the first few of a commit."""
    for d in letters[:LOGGED_LETTERS]:
        reason = clip(d.reason, 300)
        log.warning("dead-lettered %s of %s (group %s): %s", d.entry_id, d.stream, d.group, reason)
    if len(letters) > LOGGED_LETTERS:
        log.warning("dead-lettered %d more entries (candlecast dlq list)", len(letters) - LOGGED_LETTERS)


async def publish(redis: Redis, stream: str, message: BaseModel, maxlen: int) -> str:
    """A single XADD of one message (for rare events and commands)."""
    data = encode(message)
    entry_id = await redis.xadd(stream, {DATA_FIELD: data}, maxlen=maxlen, approximate=True)
    metrics.MESSAGES_OUT.labels(metrics.stream_label(stream)).inc()
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


BatchHandler = Callable[[list[Entry]], Awaitable[None]]


# Redis 7.0 and 7.2 can lose count of a group's entries-read across an AOF reload, so
# XINFO GROUPS goes on reporting a lag when the group has read every entry. When the
# group's last-delivered-id is the stream's newest id, the true lag is 0: set it so, in
# one script, so no XADD or read lands between the check and the fix. Returns 1 if fixed.
LAG_SCRIPT = """
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local last, added
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then last = info[i + 1] end
  if info[i] == 'entries-added' then added = info[i + 1] end
end
if not added then return 0 end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, delivered, lag
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1]
    elseif g[i] == 'last-delivered-id' then delivered = g[i + 1]
    elseif g[i] == 'lag' then lag = g[i + 1] end
  end
  if name == ARGV[1] and delivered == last and lag ~= 0 then
    redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], last, 'ENTRIESREAD', added)
    return 1
  end
end
return 0
"""


async def settle_lag(redis: Redis, stream: str, group: str) -> bool:
    """Make XINFO's lag of a group that has read everything 0 again (see LAG_SCRIPT)."""
    return bool(await redis.register_script(LAG_SCRIPT)(keys=[stream], args=[group]))
