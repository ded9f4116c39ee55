"""After a promotion: predict each symbol's latest row with the new model at once.

Otherwise subscribers would wait for the next bar (up to an hour on 1h bars) to see the new
model. The latest row of a symbol is the row of the newest entry on `predictions:{symbol}`;
it is found again on `features` (newest first, `CAP` entries at most: best effort), scored
in one batch, and written with `write_catch_ups`, which skips a symbol whose stream moved on
meanwhile (a newer prediction, or another replica's catch-up of the same promotion).
No duplicate: that row was acked when it was first predicted, so only a catch-up predicts it
again, and not by a model that has already spoken on it (a rollback to it, say).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import takewhile

from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis

from candlecast.shared.adapters.catchup import CatchUp, backwards, newest, symbol_streams, write_catch_ups
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.prediction_wire import encode_predictions
from candlecast.shared.adapters.redis_problems import redis_problem
from candlecast.shared.core.constants import Keys
from candlecast.shared.core.entries import Decoded, Entry
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.serving import Served, predict_batch, scoreable
from candlecast.shared.settings import Settings

log = logging.getLogger("candlecast.predictor")
TAIL = 16  # newest predictions read per symbol: a row's catch-ups sit together at the end
CHUNK = 1_000  # feature entries per XREVRANGE
CAP = 20_000  # feature entries searched at most for the latest rows

Decoder = Callable[[list[Entry]], Decoded[FeatureRow]]
RowKey = tuple[str, int]  # symbol, ts


class Where(BaseModel):
    """A feature row's series and bar, read without its values (a cheap filter before `decode`)."""

    symbol: str
    timeframe: str
    ts: int


class Seen(BaseModel):
    """What a PredictionMade says about the row it was for and the model that made it."""

    symbol: str
    timeframe: str
    ts: int
    model_version: str


@dataclass(frozen=True, slots=True)
class Target:
    """A symbol whose latest row the new model should predict; `seen` is its stream's newest id."""

    stream: str
    seen: str
    symbol: str
    ts: int


def target(stream: str, tail: Sequence[tuple[str, Seen]], version: str, timeframe: str) -> Target | None:
    """The row of the newest prediction in `tail` (newest first), unless `version` has predicted it."""
    if not tail or tail[0][1].timeframe != timeframe:
        return None
    newest_id, last = tail[0]
    row = (last.symbol, last.timeframe, last.ts)
    same = [s for _, s in takewhile(lambda e: (e[1].symbol, e[1].timeframe, e[1].ts) == row, tail)]
    if any(s.model_version == version for s in same):
        return None
    if len(same) >= TAIL:  # more of this row's predictions may lie further back: don't risk a duplicate
        return None
    return Target(stream, newest_id, last.symbol, last.ts)


def pick_rows(
    rows: Sequence[FeatureRow], wanted: set[RowKey], timeframe: str, fs_hash: str
) -> dict[RowKey, FeatureRow]:
    """The rows of `wanted` (symbol, ts) on the model's timeframe and feature set (the first of a twin)."""
    out: dict[RowKey, FeatureRow] = {}
    for r in rows:
        key = (r.symbol, r.ts)
        if key in wanted and key not in out and r.timeframe == timeframe and r.feature_set.hash == fs_hash:
            out[key] = r
    return out


async def catch_up(redis: Redis, settings: Settings, served: Served, decode: Decoder, cap: int = CAP) -> int:
    """Predict each symbol's latest row with `served`; returns how many were written.

    Never raises for Redis or the model: a failure is logged and serving goes on.
    """
    try:
        return await _catch_up(redis, settings, served, decode, cap)
    except Exception as exc:  # a catch-up is best effort, never a crash of the watcher
        problem = redis_problem(exc)
        if problem is None:
            log.exception("catch-up for model %s failed; it predicts from the next row", served.version)
        else:
            log.warning("catch-up for model %s: %s; it predicts from the next row", served.version, problem)
        return 0


async def _catch_up(redis: Redis, settings: Settings, served: Served, decode: Decoder, cap: int) -> int:
    keys, model = settings.keys, served.model
    targets = await find_targets(redis, keys, served.version, model.timeframe)
    if not targets:
        return 0
    rows = await latest_rows(redis, keys, targets, decode, served, cap)
    if len(rows) < len(targets):
        log.warning(
            "catch-up: skipped %d symbols whose latest row is not in the newest %d feature rows",
            len(targets) - len(rows),
            cap,
        )
    found = [t for t in targets if (t.symbol, t.ts) in rows]
    usable, refused, X = scoreable(served, [rows[t.symbol, t.ts] for t in found])  # refused: skipped
    skip = {i for i, _ in refused}
    kept = [t for i, t in enumerate(found) if i not in skip]
    written = 0
    if kept:
        batch = predict_batch(served, usable, now_ms(), X)
        catch_ups = [
            CatchUp(t.stream, t.seen, d) for t, d in zip(kept, encode_predictions(batch), strict=True)
        ]
        written = await write_catch_ups(redis, keys, catch_ups, settings.maxlen)
    log.info("predicted the latest row of %d symbols with %s", written, served.version)
    return written


async def find_targets(redis: Redis, keys: Keys, version: str, timeframe: str) -> list[Target]:
    """Each per-symbol stream whose newest prediction's row `version` has not predicted."""
    streams = await symbol_streams(redis, keys)
    targets = []
    for stream, tail in zip(streams, await newest(redis, streams, TAIL), strict=True):
        t = target(stream, _seen(tail), version, timeframe)
        if t is not None and stream == keys.predictions_for(t.symbol):
            targets.append(t)
    return targets


async def latest_rows(
    redis: Redis, keys: Keys, targets: Sequence[Target], decode: Decoder, served: Served, cap: int
) -> Mapping[RowKey, FeatureRow]:
    """The targets' feature rows, searched newest first among at most `cap` entries of `features`."""
    wanted = {(t.symbol, t.ts) for t in targets}
    model = served.model
    found: dict[RowKey, FeatureRow] = {}
    async for chunk in backwards(redis, keys.features, CHUNK, cap):
        rows = [row for _, row in decode(_among(chunk, wanted - found.keys())).ok]
        found |= pick_rows(rows, wanted - found.keys(), model.timeframe, model.feature_set.hash)
        if len(found) == len(wanted):
            break
    return found


def _among(entries: Sequence[Entry], wanted: set[RowKey]) -> list[Entry]:
    """The entries that may be rows of `wanted` (parsing only their series and bar)."""
    out = []
    for entry in entries:
        try:
            where = Where.model_validate_json(entry.data)
        except ValidationError:
            continue
        if (where.symbol, where.ts) in wanted:
            out.append(entry)
    return out


def _seen(entries: Sequence[Entry]) -> list[tuple[str, Seen]]:
    """The entries up to the first that is not a prediction."""
    out = []
    for entry in entries:
        try:
            out.append((entry.id, Seen.model_validate_json(entry.data)))
        except ValidationError:
            break
    return out
