"""The pure half of `candlecast dlq`: read dead letters, pick some, lay them out. No Redis here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import ValidationError
from rich.table import Table
from rich.text import Text

from candlecast.shared.core.constants import DATA_FIELD, Keys
from candlecast.shared.core.messages import DeadLettered

REASON_CHARS = 60  # a list row's reason; `dlq show` prints it whole
ENTRY_ID = re.compile(r"^[0-9]{1,20}(-[0-9]{1,20})?$")
_DATA_KEY = DATA_FIELD.encode()


@dataclass(frozen=True, slots=True)
class Letter:
    """One dlq entry: its id there and the record it holds (None if it isn't a DeadLettered)."""

    id: str
    record: DeadLettered | None
    raw: bytes = b""


def letter_from(entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> Letter:
    ident = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    raw = fields.get(_DATA_KEY, b"")
    try:
        return Letter(ident, DeadLettered.model_validate_json(raw), raw)
    except ValidationError:
        return Letter(ident, None, raw)


def is_entry_id(text: str) -> bool:
    return ENTRY_ID.match(text) is not None


def stream_matches(record: DeadLettered, stream: str, keys: Keys) -> bool:
    """`bars` and `candlecast:bars` both name the bars stream."""
    return record.stream in {stream, f"{keys.prefix}{stream}"}


def matches(letter: Letter, keys: Keys, reason: str | None = None, stream: str | None = None) -> bool:
    """`reason` is a case-insensitive substring of the record's reason; `stream` is its source stream."""
    record = letter.record
    if record is None:
        return reason is None and stream is None
    if reason is not None and reason.casefold() not in record.reason.casefold():
        return False
    return stream is None or stream_matches(record, stream, keys)


def shorten(text: str, limit: int = REASON_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


COLUMNS = ("dlq id", "failed at (UTC)", "service", "stream", "entry id", "deliveries", "size", "reason")


def row(letter: Letter) -> tuple[str, ...]:
    """A list row; an entry that isn't a dead letter says so in the reason column."""
    r = letter.record
    if r is None:
        return (letter.id, "-", "-", "-", "-", "-", str(len(letter.raw)), "(not a dead-letter record)")
    size = str(r.size) if r.size else "?"
    marked = f"{size} (cut)" if r.truncated else size
    when, service = utc(r.failed_at), r.service or "-"
    return (letter.id, when, service, r.stream, r.entry_id, str(r.deliveries), marked, shorten(r.reason))


def letters_table(letters: Iterable[Letter]) -> Table:
    table = Table(*COLUMNS, box=None)
    for column in (0, 4):
        table.columns[column].no_wrap = True
    for letter in letters:
        table.add_row(*(Text(cell) for cell in row(letter)))  # Text: a reason's [..] is not markup
    return table


def footer(shown: int, total: int, dlq: str) -> str:
    return f"{shown} shown of {total} in {dlq}"


def record_json(letter: Letter) -> str:
    """The whole record, pretty; an entry that isn't a dead letter as the JSON (or text) it holds."""
    if letter.record is not None:
        return json.dumps(letter.record.model_dump(mode="json"), indent=2, ensure_ascii=False)
    try:
        return json.dumps(json.loads(letter.raw), indent=2, ensure_ascii=False)
    except ValueError:
        return letter.raw.decode(errors="replace")


@dataclass(slots=True)
class Plan:
    """What a replay does with the letters it selected."""

    replay: list[Letter] = field(default_factory=list)
    truncated: list[Letter] = field(default_factory=list)
    unusable: list[Letter] = field(default_factory=list)  # not a record, or not the original bytes
    not_found: list[str] = field(default_factory=list)


def intact(record: DeadLettered) -> bool:
    """The payload is the whole original entry: not cut, and as many bytes as it had (binary junk
    decoded with replacements is not)."""
    if record.truncated:
        return False
    return record.size == 0 or len(record.payload.encode()) == record.size


def plan(letters: Iterable[Letter], not_found: Iterable[str] = ()) -> Plan:
    out = Plan(not_found=list(not_found))
    for letter in letters:
        if letter.record is None:
            out.unusable.append(letter)
        elif letter.record.truncated:
            out.truncated.append(letter)
        elif not intact(letter.record):
            out.unusable.append(letter)
        else:
            out.replay.append(letter)
    return out


def skip_line(letter: Letter) -> str:
    r = letter.record
    if r is None:
        return f"skipped {letter.id}: not a dead-letter record"
    if r.truncated:
        return f"skipped {letter.id}: payload truncated ({r.size} bytes in all, a prefix kept); can't replay"
    return f"skipped {letter.id}: payload is not the original {r.size} bytes; can't replay"


@dataclass(slots=True)
class Tally:
    """What a replay did, counted page by page."""

    replayed: int = 0
    truncated: int = 0
    unusable: int = 0
    not_found: int = 0  # including records another replay took first

    def skips(self, p: Plan) -> None:
        self.truncated += len(p.truncated)
        self.unusable += len(p.unusable)
        self.not_found += len(p.not_found)

    @property
    def complete(self) -> bool:
        """Every selected record was (or would be) replayed."""
        return not (self.truncated or self.unusable or self.not_found)


def summary(t: Tally, dry_run: bool) -> str:
    verb = "would replay" if dry_run else "replayed"
    parts = [f"{verb} {t.replayed}", f"skipped truncated {t.truncated}"]
    if t.unusable:
        parts.append(f"skipped unusable {t.unusable}")
    parts.append(f"not found {t.not_found}")
    return ", ".join(parts)
