"""Redis side of a promotion's catch-up: where the latest predictions are, and one guarded write.

The predictor (`candlecast.predictor.catchup`) decides what to predict; here are the reads it
needs and the script that writes each catch-up only if its symbol's stream has not moved on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from candlecast.shared.adapters import metrics
from candlecast.shared.adapters.redis_streams import Rows
from candlecast.shared.core.constants import Keys
from candlecast.shared.core.entries import Entry, entry_from_fields


@dataclass(frozen=True, slots=True)
class CatchUp:
    """One prediction to append to `stream` (and `predictions`) if `stream`'s newest id is still `seen`."""

    stream: str
    seen: str
    data: bytes


async def symbol_streams(redis: Redis, keys: Keys) -> list[str]:
    """Every per-symbol prediction stream (`predictions:{symbol}`)."""
    found = redis.scan_iter(match=keys.predictions_for("*"), count=1_000, _type="STREAM")
    return sorted({key.decode() if isinstance(key, bytes) else str(key) async for key in found})


async def newest(redis: Redis, streams: Sequence[str], count: int) -> list[list[Entry]]:
    """Each stream's `count` newest entries, newest first (one round trip)."""
    pipe = redis.pipeline(transaction=False)
    for stream in streams:
        pipe.xrevrange(stream, count=count)
    replies = cast("list[Rows]", await pipe.execute())
    return [[entry_from_fields(entry_id, fields) for entry_id, fields in rows] for rows in replies]


async def backwards(redis: Redis, stream: str, chunk: int, cap: int) -> AsyncIterator[list[Entry]]:
    """The stream newest first, `chunk` entries at a time, `cap` entries at most."""
    top, read = "+", 0
    while read < cap:
        count = min(chunk, cap - read)
        rows = cast("Rows", await redis.xrevrange(stream, max=top, min="-", count=count))
        if not rows:
            return
        read += len(rows)
        yield [entry_from_fields(entry_id, fields) for entry_id, fields in rows]
        if len(rows) < count:
            return
        top = "(" + rows[-1][0].decode()


# KEYS: the all-symbols stream, then each catch-up's per-symbol stream.
# ARGV: maxlen, then (seen id, data) per catch-up. Every key is type-checked before any
# write; each catch-up is written (to both streams) only if its stream's newest id is still
# the one seen, so a newer prediction or another replica's catch-up wins. Returns the count.
CATCH_UP_SCRIPT = """
for _, key in ipairs(KEYS) do
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= 'stream' then
    return redis.error_reply('WRONGTYPE ' .. key .. ' is a ' .. t .. ', not a stream')
  end
end
local written = 0
for i = 2, #KEYS do
  local seen, data = ARGV[2 * i - 2], ARGV[2 * i - 1]
  local top = redis.call('XREVRANGE', KEYS[i], '+', '-', 'COUNT', 1)
  if top[1] and top[1][1] == seen then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', '__data__', data)
    redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], '*', '__data__', data)
    written = written + 1
  end
end
return written
"""


async def write_catch_ups(redis: Redis, keys: Keys, catch_ups: Sequence[CatchUp], maxlen: int) -> int:
    """Append each catch-up whose stream has not moved on, in one script; returns how many were."""
    if not catch_ups:
        return 0
    streams = [keys.predictions, *(c.stream for c in catch_ups)]
    args: list[bytes | str | int] = [maxlen]
    for c in catch_ups:
        args += [c.seen, c.data]
    written = int(await redis.register_script(CATCH_UP_SCRIPT)(keys=streams, args=args))
    if written:
        metrics.MESSAGES_OUT.labels(metrics.stream_label(keys.predictions)).inc(written)
        metrics.MESSAGES_OUT.labels(metrics.stream_label(catch_ups[0].stream)).inc(written)
    return written
