"""Stream entries in, typed messages or dead letters out. Pure: no Redis here."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.messages import DeadLettered

T = TypeVar("T")

_DATA_KEY = DATA_FIELD.encode()
DLQ_PAYLOAD_CHARS = 4_096  # Settings.dlq_payload_chars' default
MAX_REASON_CHARS = 500  # a reason never echoes more of its input than this


@dataclass(frozen=True, slots=True)
class Entry:
    """One stream entry: its id and the JSON document it carries."""

    id: str
    data: bytes


def entry_from_fields(entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> Entry:
    """The `__data__` field, or (for foreign producers) all fields as one JSON object."""
    ident = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    data = fields.get(_DATA_KEY)
    if data is None:
        data = json.dumps({k.decode(): v.decode(errors="replace") for k, v in fields.items()}).encode()
    return Entry(ident, data)


def id_key(entry_id: str) -> tuple[int, int]:
    """Entry ids ordered as Redis orders them."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass(slots=True)
class Decoded(Generic[T]):
    """Entries that parsed, and dead letters for the ones that did not."""

    ok: list[tuple[Entry, T]] = field(default_factory=list)
    dead: list[DeadLettered] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where entries came from, and how their dead letters are written."""

    stream: str
    group: str
    service: str = ""  # who gives up on an entry, e.g. "features"
    payload_chars: int = DLQ_PAYLOAD_CHARS  # how much of a payload a dead letter keeps


def clip(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """`text`, or its first `limit` characters and a marker with its full length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated: {len(text)} chars in all]"


def dead_letter(
    origin: Origin,
    entry: Entry,
    reason: str,
    now_ms: int,
    *,
    service: str | None = None,
    deliveries: int = 1,
    limit: int | None = None,
) -> DeadLettered:
    """A bounded record of `entry`: a payload prefix with a truncation marker, and a clipped reason.
    `service` and `limit` default to the origin's."""
    keep = origin.payload_chars if limit is None else limit
    text = entry.data[: 4 * keep + 4].decode(errors="replace")  # enough for keep + 1 whole chars
    truncated = len(text) > keep
    payload = f"{text[:keep]}…[truncated: {len(entry.data)} bytes in all]" if truncated else text
    return DeadLettered(
        stream=origin.stream,
        entry_id=entry.id,
        group=origin.group,
        reason=clip(reason),
        payload=payload,
        failed_at=now_ms,
        service=origin.service if service is None else service,
        deliveries=deliveries,
        size=len(entry.data),
        truncated=truncated,
    )


def oversized(origin: Origin, entry: Entry, now_ms: int, max_bytes: int | None) -> DeadLettered | None:
    """The dead letter of an entry over `max_bytes` (it is not parsed at all), else None."""
    if max_bytes is None or len(entry.data) <= max_bytes:
        return None
    reason = f"entry of {len(entry.data)} bytes is over the {max_bytes}-byte limit of {origin.stream}"
    return dead_letter(origin, entry, reason, now_ms)


def decode_each(
    entries: Iterable[Entry],
    parse: Callable[[bytes], T],
    refusal: Callable[[Exception], str | None],
    origin: Origin,
    now_ms: int,
    max_bytes: int | None = None,
) -> Decoded[T]:
    """Each entry's data through `parse`; an error `refusal` gives a reason for becomes a dead
    letter with it, the rest flow on (any other error propagates). An entry over `max_bytes` is
    dead-lettered without being parsed."""
    out: Decoded[T] = Decoded()
    for entry in entries:
        too_big = oversized(origin, entry, now_ms, max_bytes)
        if too_big is not None:
            out.dead.append(too_big)
            continue
        try:
            out.ok.append((entry, parse(entry.data)))
        except Exception as exc:
            reason = refusal(exc)
            if reason is None:
                raise
            out.dead.append(dead_letter(origin, entry, reason, now_ms))
    return out


def decode(
    entries: Iterable[Entry],
    adapter: TypeAdapter[T],
    origin: Origin,
    now_ms: int,
    max_bytes: int | None = None,
) -> Decoded[T]:
    """Validate each entry; a bad one becomes a readable dead letter, the rest flow on.
    An entry over `max_bytes` is dead-lettered without being parsed."""
    return decode_each(entries, adapter.validate_json, _invalid, origin, now_ms, max_bytes)


def _invalid(exc: Exception) -> str | None:
    return _reason(exc) if isinstance(exc, ValidationError) else None


def _reason(exc: ValidationError) -> str:
    """The first error, readable; pydantic may echo the input in `msg`, so each part is clipped."""
    first = exc.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        return f"malformed JSON: {clip(first['msg'], 200)}"
    where = clip(".".join(str(p) for p in first["loc"]) or "message", 100)
    if first["type"] == "union_tag_invalid":
        return f"schema check failed at {where}: {_unknown_tag(first.get('ctx', {}))}"
    return f"schema check failed at {where}: {clip(first['msg'], 300)}"


def _unknown_tag(ctx: Mapping[str, object]) -> str:
    """E.g. "unknown command 'explode' (expected one of 'retrain', 'promote', 'rollback')"."""
    name = str(ctx.get("discriminator", "tag")).strip("'")
    tag = clip(repr(ctx.get("tag")), 60)
    return f"unknown {name} {tag} (expected one of {clip(str(ctx.get('expected_tags')), 200)})"
