"""Bars out: recorded to the bar store first, then published in pipelined XADDs."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from typing import cast

import numpy as np
from redis.asyncio import Redis
from redis.exceptions import RedisError

from candlecast.ingest.skips import BAD_SYMBOL, REPEATED, invalid_kinds, refusal_kind
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.clock import now_ms as wall_clock
from candlecast.shared.adapters.connect import wait_until_up
from candlecast.shared.adapters.retry import transient
from candlecast.shared.core.admission import Rules, admitted, symbol_refusal
from candlecast.shared.core.bars import Bars, first_per_ts, valid_mask
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.messages import BarClosed
from candlecast.shared.core.timeframes import timeframe_ms

CHUNK = 1_000
log = logging.getLogger("candlecast.ingest")


def clean(
    series: Sequence[Bars], now_ms: int | None = None, rules: Rules | None = None
) -> tuple[list[Bars], int]:
    """`clean_counted` with the skipped rows' total."""
    kept, skipped = clean_counted(series, now_ms, rules)
    return kept, skipped.total()


def clean_counted(
    series: Sequence[Bars], now_ms: int | None = None, rules: Rules | None = None
) -> tuple[list[Bars], Counter[str]]:
    """Drop impossible bars, repeated timestamps (first kept) and bars `core.admission` refuses
    (not closed by now, ts in seconds or microseconds, an implausible jump, a bad symbol);
    count the dropped rows by kind ("high < low", "repeated ts"...)."""
    now = wall_clock() if now_ms is None else now_ms
    kept: list[Bars] = []
    reasons: list[str] = []
    skipped: Counter[str] = Counter()
    for bars in series:
        refused = symbol_refusal(bars.symbol)
        if refused:
            skipped[BAD_SYMBOL] += len(bars)
            reasons.append(refused)
            continue
        valid = valid_mask(bars)
        skipped.update(invalid_kinds(bars.take(~valid)))
        good = first_per_ts(bars.take(valid))
        skipped[REPEATED] += int(valid.sum()) - len(good)
        mask, why = admitted(good.ts, timeframe_ms(bars.timeframe), now, rules or Rules())
        skipped.update(refusal_kind(r) for r in why)
        reasons += why
        kept.append(good.take(mask))
    if reasons:
        log.warning("refused %d bars, e.g. %s", len(reasons), "; ".join(reasons[:3]))
    return kept, +skipped  # + drops the kinds counted 0


def time_ordered(series: Sequence[Bars]) -> list[BarClosed]:
    """All series merged by ts (ties by symbol), as the market would have produced them."""
    messages = [m for s in series for m in s.to_messages()]
    order = np.lexsort((np.array([m.symbol for m in messages]), np.array([m.ts for m in messages])))
    return [messages[i] for i in order.tolist()]


async def publish_bars(redis: Redis, stream: str, bars: Sequence[BarClosed], maxlen: int) -> None:
    """XADD in chunks on a non-transactional pipeline: one round trip per chunk.

    A chunk cut short by a Redis outage goes on, once Redis is back, after the last of
    its bars the stream holds: none is lost, none is added twice.
    """
    for start in range(0, len(bars), CHUNK):
        chunk = [bar.model_dump_json().encode() for bar in bars[start : start + CHUNK]]
        while chunk:
            try:
                async with redis.pipeline(transaction=False) as pipe:
                    for data in chunk:
                        pipe.xadd(stream, {DATA_FIELD: data}, maxlen=maxlen, approximate=True)
                    await pipe.execute()
                chunk = []
            except RedisError as exc:
                if not transient(exc):
                    raise
                await wait_until_up(redis, _url(redis), None, log)
                chunk = chunk[await _landed(redis, stream, chunk) :]


async def _landed(redis: Redis, stream: str, chunk: list[bytes]) -> int:
    """How many of `chunk`'s first bars the stream's tail already holds."""
    tail = cast("list[tuple[bytes, dict[bytes, bytes]]]", await redis.xrevrange(stream, count=2 * len(chunk)))
    held = {fields.get(DATA_FIELD.encode()) for _, fields in tail}
    landed = 0
    while landed < len(chunk) and chunk[landed] in held:
        landed += 1
    return landed


def _url(redis: Redis) -> str:
    kwargs = redis.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


async def record(store: BarStore, series: Sequence[Bars]) -> int:
    """Append to the bar store off the event loop; returns the number of new bars."""
    counts = await asyncio.gather(*(asyncio.to_thread(store.append, s) for s in series if len(s)))
    return sum(counts)
