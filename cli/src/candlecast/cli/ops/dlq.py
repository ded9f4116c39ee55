"""`dlq list|show|replay`: read the dead-letter stream, and put records back on their streams."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import cast

import redis

from candlecast.cli.context import console
from candlecast.cli.errors import UserError
from candlecast.cli.ops.dlq_view import (
    Letter,
    Plan,
    Tally,
    footer,
    is_entry_id,
    letter_from,
    letters_table,
    matches,
    plan,
    record_json,
    skip_line,
    summary,
)
from candlecast.shared.adapters.connect import sync_client
from candlecast.shared.core.constants import DATA_FIELD
from candlecast.shared.settings import Settings

PAGE = 500
Rows = list[tuple[bytes, dict[bytes, bytes]]]

# One record, atomically: publish its payload and delete it from the dlq, only if it is still there.
# So a replay run twice, or two at once, publishes each record once. An XADD that fails (a key of
# the wrong type) stops the script before anything is written.
# KEYS: dlq, original stream. ARGV: dlq id, data field, payload, maxlen.
REPLAY_SCRIPT = """
if #redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1]) == 0 then return false end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', ARGV[2], ARGV[3])
redis.call('XDEL', KEYS[1], ARGV[1])
return id
"""


@dataclass(frozen=True, slots=True)
class Selection:
    """Which records a replay takes: `ids`, or all (narrowed by reason and stream)."""

    ids: Sequence[str] = ()
    reason: str | None = None
    stream: str | None = None


def newest_first(r: redis.Redis, dlq: str) -> Iterator[Letter]:
    end = "+"
    while rows := cast("Rows", r.xrevrange(dlq, max=end, count=PAGE)):
        yield from (letter_from(ident, fields) for ident, fields in rows)
        end = f"({rows[-1][0].decode()}"


def oldest_pages(r: redis.Redis, dlq: str) -> Iterator[list[Letter]]:
    """The dlq a page at a time, oldest first; deleting what was read does not move the cursor."""
    start = "-"
    while rows := cast("Rows", r.xrange(dlq, min=start, count=PAGE)):
        yield [letter_from(ident, fields) for ident, fields in rows]
        start = f"({rows[-1][0].decode()}"


def fetch(r: redis.Redis, dlq: str, ident: str) -> Letter | None:
    if not is_entry_id(ident):
        raise UserError(f"{ident!r} is not a stream entry id (like 1767225600000-0)")
    rows = cast("Rows", r.xrange(dlq, min=ident, max=ident))
    return letter_from(*rows[0]) if rows else None


def list_letters(settings: Settings, reason: str | None, stream: str | None, limit: int) -> int:
    """The newest `limit` matching records, newest last; the footer counts the whole dlq."""
    dlq = settings.keys.dlq
    r = sync_client(settings)
    try:
        shown: list[Letter] = []
        for letter in newest_first(r, dlq):
            if len(shown) == limit:
                break
            if matches(letter, settings.keys, reason, stream):
                shown.append(letter)
        total = int(r.xlen(dlq))
    finally:
        r.close()
    out = console()
    if shown:
        out.print(letters_table(reversed(shown)))
    out.print(footer(len(shown), total, dlq), markup=False, highlight=False)
    return 0


def show_letter(settings: Settings, ident: str) -> int:
    r = sync_client(settings)
    try:
        letter = fetch(r, settings.keys.dlq, ident)
    finally:
        r.close()
    if letter is None:
        raise UserError(f"no entry {ident} in {settings.keys.dlq}")
    print(record_json(letter))
    return 0


def plans(r: redis.Redis, settings: Settings, chosen: Selection) -> Iterator[Plan]:
    """The selected records, one plan per page (so a large dlq is never held whole)."""
    dlq, keys = settings.keys.dlq, settings.keys
    if not chosen.ids:
        for page in oldest_pages(r, dlq):
            yield plan(x for x in page if matches(x, keys, chosen.reason, chosen.stream))
        return
    letters = {ident: fetch(r, dlq, ident) for ident in dict.fromkeys(chosen.ids)}
    yield plan((x for x in letters.values() if x), [i for i, x in letters.items() if x is None])


def replay_one(r: redis.Redis, settings: Settings, letter: Letter) -> str | None:
    """The new entry id on the original stream; None if another replay took the record first."""
    assert letter.record is not None  # plan() puts only records in `replay`
    keys = [settings.keys.dlq, letter.record.stream]
    args: list[bytes | str | int] = [letter.id, DATA_FIELD, letter.record.payload.encode(), settings.maxlen]
    new_id = r.register_script(REPLAY_SCRIPT)(keys=keys, args=args)
    return new_id.decode() if isinstance(new_id, bytes) else None


def replay_letters(settings: Settings, chosen: Selection, dry_run: bool) -> int:
    """Exit 0 if every selected record was (or would be) replayed, 1 if any was skipped or missing."""
    r = sync_client(settings)
    tally = Tally()
    try:
        for p in plans(r, settings, chosen):
            report_skips(p, settings.keys.dlq)
            tally.skips(p)
            for letter in p.replay:
                if replay_and_say(r, settings, letter, dry_run):
                    tally.replayed += 1
                else:
                    tally.not_found += 1
    finally:
        r.close()
    print(summary(tally, dry_run))
    return 0 if tally.complete else 1


def report_skips(p: Plan, dlq: str) -> None:
    for ident in p.not_found:
        print(f"not found: {ident} is not in {dlq}")
    for skipped in (*p.truncated, *p.unusable):
        print(skip_line(skipped))


def replay_and_say(r: redis.Redis, settings: Settings, letter: Letter, dry_run: bool) -> bool:
    """False if another replay took the record first."""
    stream = letter.record.stream if letter.record else "?"
    if dry_run:
        print(f"would replay {letter.id} to {stream}")
        return True
    new_id = replay_one(r, settings, letter)
    if new_id is None:
        print(f"not found: {letter.id} was taken by another replay")
        return False
    print(f"replayed {letter.id} to {stream} as {new_id}")
    return True
