"""`candlecast dlq`: reading, picking and laying out dead letters, and the CLI's refusals (no Redis)."""

from __future__ import annotations

import json

from rich.console import Console
from typer.testing import CliRunner

from candlecast.cli.main import build_app, main
from candlecast.cli.ops.dlq_view import (
    Letter,
    Tally,
    footer,
    is_entry_id,
    letter_from,
    letters_table,
    matches,
    plan,
    record_json,
    row,
    shorten,
    skip_line,
    summary,
)
from candlecast.shared.adapters.wire import encode
from candlecast.shared.core.constants import Keys
from candlecast.shared.core.entries import Entry, Origin, dead_letter

KEYS = Keys("cc:")
NOWHERE = "redis://127.0.0.1:1/0"  # nothing listens there: a command that reaches Redis fails with 5
JAN_1 = 1_767_225_600_000


def letter(
    ident: str = "5-0",
    data: bytes = b'{"symbol":"AAA"}',
    reason: str = "schema check failed at ts: Field required",
    stream: str = "cc:bars",
    limit: int = 4_096,
) -> Letter:
    dead = dead_letter(Origin(stream, "features", "features"), Entry("9-1", data), reason, JAN_1, limit=limit)
    return letter_from(ident.encode(), {b"__data__": encode(dead)})


def test_a_dlq_entry_reads_back_as_its_record() -> None:
    got = letter("7-3")
    assert got.id == "7-3"
    assert got.record is not None
    record = (got.record.stream, got.record.entry_id, got.record.payload)
    assert record == ("cc:bars", "9-1", '{"symbol":"AAA"}')


def test_an_entry_that_is_not_a_record_is_kept_as_raw() -> None:
    got = letter_from(b"1-0", {b"__data__": b'{"foo": 1}'})
    assert got.record is None
    assert got.raw == b'{"foo": 1}'
    assert row(got)[-1] == "(not a dead-letter record)"
    assert json.loads(record_json(got)) == {"foo": 1}


def test_reason_filter_is_a_case_insensitive_substring() -> None:
    one = letter(reason="Malformed JSON: expected value")
    assert matches(one, KEYS, reason="malformed json")
    assert matches(one, KEYS, reason="EXPECTED")
    assert not matches(one, KEYS, reason="schema")
    assert matches(one, KEYS)


def test_stream_filter_takes_the_short_or_the_full_name() -> None:
    one = letter(stream="cc:bars")
    assert matches(one, KEYS, stream="bars")
    assert matches(one, KEYS, stream="cc:bars")
    assert not matches(one, KEYS, stream="features")
    assert not matches(one, KEYS, stream="cc:features")
    assert not matches(one, KEYS, reason="schema", stream="commands")


def test_a_foreign_entry_matches_no_filter_but_shows_unfiltered() -> None:
    foreign = letter_from(b"1-0", {b"x": b"y"})
    assert matches(foreign, KEYS)
    assert not matches(foreign, KEYS, reason="")
    assert not matches(foreign, KEYS, stream="bars")


def test_a_row_has_every_column_and_a_short_reason() -> None:
    cells = row(letter("12-0", reason="bad\nvalue " + "x" * 100))
    assert cells[:7] == ("12-0", "2026-01-01 00:00:00", "features", "cc:bars", "9-1", "1", "16")
    assert len(cells[7]) == 60
    assert cells[7].startswith("bad value xxx")
    assert cells[7].endswith("…")


def test_a_truncated_record_says_so_in_its_size() -> None:
    cells = row(letter(data=b'{"x":"' + b"y" * 500 + b'"}', limit=64))
    assert cells[6] == "508 (cut)"


def test_shorten_keeps_short_text() -> None:
    assert shorten("short") == "short"
    assert shorten("a" * 61) == "a" * 59 + "…"


def test_the_table_prints_brackets_in_a_reason_as_they_are() -> None:
    out = Console(width=300, record=True)
    out.print(letters_table([letter(reason="bad [bold]tag[/bold] here")]))
    text = out.export_text()
    assert "bad [bold]tag[/bold] here" in text
    assert "failed at (UTC)" in text
    assert footer(1, 3, "cc:dlq") == "1 shown of 3 in cc:dlq"


def test_show_prints_the_whole_record() -> None:
    shown = json.loads(record_json(letter(data=b'{"a": "\xc3\xa9"}')))
    assert shown["payload"] == '{"a": "é"}'
    assert (shown["size"], shown["truncated"], shown["deliveries"]) == (11, False, 1)
    assert shown["failed_at"] == JAN_1


def test_plan_replays_whole_payloads_and_skips_cut_or_altered_ones() -> None:
    whole = letter("1-0")
    cut = letter("2-0", data=b'{"x":"' + b"y" * 500 + b'"}', limit=64)
    junk = letter("3-0", data=b"\xff\xfe not utf-8")  # decoded with replacements: not the original bytes
    foreign = letter_from(b"4-0", {b"x": b"y"})
    p = plan([whole, cut, junk, foreign], ["9-9"])
    assert [x.id for x in p.replay] == ["1-0"]
    assert [x.id for x in p.truncated] == ["2-0"]
    assert [x.id for x in p.unusable] == ["3-0", "4-0"]
    assert p.not_found == ["9-9"]
    assert "truncated (508 bytes in all" in skip_line(cut)
    assert "not the original 12 bytes" in skip_line(junk)


def test_the_tally_counts_skips_and_is_complete_only_without_any() -> None:
    cut = letter("2-0", data=b'{"x":"' + b"y" * 500 + b'"}', limit=64)
    tally = Tally(replayed=1)
    assert tally.complete
    assert summary(tally, dry_run=True) == "would replay 1, skipped truncated 0, not found 0"
    tally.skips(plan([letter("1-0")]))
    assert tally.complete, "a replayable record is no skip"
    tally.skips(plan([cut, letter_from(b"4-0", {b"x": b"y"})], ["9-9"]))
    assert not tally.complete
    assert summary(tally, dry_run=False) == (
        "replayed 1, skipped truncated 1, skipped unusable 1, not found 1"
    )
    assert not Tally(not_found=1).complete, "a record another replay took counts as not found"


def test_entry_ids() -> None:
    assert is_entry_id("1767225600000-0")
    assert is_entry_id("5")
    assert not is_entry_id("abc")
    assert not is_entry_id("1-0; FLUSHALL")
    assert not is_entry_id("+")


def test_replay_needs_ids_or_all(monkeypatch) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", NOWHERE)
    runner = CliRunner()
    app = build_app(["dlq"])
    cases = {
        (): "--id ID (repeatable) or --all",
        ("--id", "1-0", "--all"): "don't go together",
        ("--id", "1-0", "--reason", "x"): "narrow --all",
    }
    for args, said in cases.items():
        result = runner.invoke(app, ["dlq", "replay", *args])
        assert result.exit_code == 2, args
        assert said in " ".join(result.output.split()), args


def test_show_of_a_malformed_id_is_one_line_before_any_redis_call(monkeypatch, capsys) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", NOWHERE)
    assert main(["dlq", "show", "nope"]) == 2
    assert capsys.readouterr().err.strip() == (
        "candlecast: 'nope' is not a stream entry id (like 1767225600000-0)"
    )


def test_list_with_redis_down_is_one_line_and_5(monkeypatch, capsys) -> None:
    monkeypatch.setenv("CANDLECAST_REDIS_URL", NOWHERE)
    assert main(["dlq", "list"]) == 5
    err = capsys.readouterr().err
    assert err.startswith("candlecast: ")
    assert len(err.strip().splitlines()) == 1
