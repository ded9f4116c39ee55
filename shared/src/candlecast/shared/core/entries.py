"""Stream entries in, typed messages or dead letters out. Pure: no Redis here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.core.messages import DeadLettered

T = TypeVar("T")

_DATA_KEY = DATA_FIELD.encode()


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
    """Where entries came from, for dead-letter records."""

    stream: str
    group: str


def dead_letter(origin: Origin, entry: Entry, reason: str, now_ms: int) -> DeadLettered:
    return DeadLettered(
        stream=origin.stream,
        entry_id=entry.id,
        group=origin.group,
        reason=reason,
        payload=entry.data.decode(errors="replace")[:10_000],
        failed_at=now_ms,
    )


def decode(entries: Iterable[Entry], adapter: TypeAdapter[T], origin: Origin, now_ms: int) -> Decoded[T]:
    """Validate each entry; a bad one becomes a readable dead letter, the rest flow on."""
    out: Decoded[T] = Decoded()
    for entry in entries:
        try:
            out.ok.append((entry, adapter.validate_json(entry.data)))
        except ValidationError as exc:
            out.dead.append(dead_letter(origin, entry, _reason(exc), now_ms))
    return out


def _reason(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    if first["type"] == "json_invalid":
        return f"malformed JSON: {first['msg']}"
    where = ".".join(str(p) for p in first["loc"]) or "message"
    return f"schema check failed at {where}: {first['msg']}"
