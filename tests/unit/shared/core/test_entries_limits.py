"""Dead letters stay bounded, whatever comes in: payload prefixes, clipped reasons, size limits."""

from __future__ import annotations

import json

import pytest
from pydantic import TypeAdapter, ValidationError

from candlecast.shared.adapters.feature_wire import decode_rows
from candlecast.shared.core.entries import (
    MAX_REASON_CHARS,
    Entry,
    Origin,
    clip,
    dead_letter,
    decode,
)
from candlecast.shared.core.features import CORE
from candlecast.shared.core.messages import (
    MAX_ID_CHARS,
    MAX_SYMBOLS,
    BarClosed,
    Command,
    DeadLettered,
    PromoteModel,
    RetrainModel,
    RollbackModel,
)

ORIGIN = Origin("candlecast:bars", "features", "features", payload_chars=100)
BAR = {"symbol": "X", "ts": 0, "open": 10, "high": 11, "low": 9, "close": 10.5, "volume": 1}
LONGEST_REASON = MAX_REASON_CHARS + len("…[truncated: 1234567890 chars in all]")


def test_a_small_payload_is_kept_whole_with_its_size_and_service() -> None:
    data = json.dumps(BAR).encode()
    dead = dead_letter(ORIGIN, Entry("1-0", data), "why", 7)
    assert dead.payload == data.decode()
    assert json.loads(dead.payload) == BAR
    assert (dead.size, dead.truncated, dead.service, dead.deliveries) == (len(data), False, "features", 1)


def test_a_big_payload_keeps_a_prefix_and_an_explicit_marker() -> None:
    data = json.dumps({**BAR, "extra": "x" * 5_000_000}).encode()
    dead = dead_letter(ORIGIN, Entry("1-0", data), "why", 7)
    assert dead.payload == data[:100].decode() + f"…[truncated: {len(data)} bytes in all]"
    assert (dead.size, dead.truncated) == (len(data), True)
    wider = dead_letter(ORIGIN, Entry("1-0", data), "why", 7, limit=1_000)
    assert wider.payload.startswith(data[:1_000].decode() + "…[truncated:")
    whole = dead_letter(ORIGIN, Entry("1-0", data[:100]), "why", 7)
    assert (whole.payload, whole.truncated) == (data[:100].decode(), False), "exactly the limit: whole"


def test_binary_junk_is_kept_readable_and_measured_in_bytes() -> None:
    data = b"\xff\xfe\x00junk"
    dead = dead_letter(ORIGIN, Entry("1-0", data), "why", 7)
    assert dead.payload == "\ufffd\ufffd\x00junk"
    assert dead.size == 7


def test_the_caller_may_name_the_service_and_the_deliveries() -> None:
    dead = dead_letter(Origin("s", "g"), Entry("1-0", b"{}"), "why", 7, service="predictor", deliveries=5)
    assert (dead.service, dead.deliveries) == ("predictor", 5)
    assert dead_letter(Origin("s", "g"), Entry("1-0", b"{}"), "why", 7).service == ""


def test_reasons_are_clipped_with_a_marker() -> None:
    dead = dead_letter(ORIGIN, Entry("1-0", b"{}"), "r" * 100_000, 7)
    assert dead.reason == "r" * MAX_REASON_CHARS + "…[truncated: 100000 chars in all]"
    assert clip("short") == "short"
    assert clip("abcdef", 3) == "abc…[truncated: 6 chars in all]"


def test_old_dead_letters_without_the_new_fields_still_parse() -> None:
    old = '{"stream":"s","entry_id":"1-0","group":"g","reason":"r","payload":"p","failed_at":5}'
    dead = DeadLettered.model_validate_json(old)
    assert (dead.service, dead.deliveries, dead.size, dead.truncated) == ("", 1, 0, False)
    with pytest.raises(ValidationError):
        DeadLettered.model_validate_json(old.replace("}", ',"deliveries":0}'))


def test_an_entry_over_the_limit_is_dead_lettered_without_being_parsed() -> None:
    good = json.dumps(BAR).encode()
    padded = json.dumps({**BAR, "pad": "x" * 500}).encode()  # valid, but too big
    junk = b"{" * 600  # would be malformed JSON if it were parsed
    entries = [Entry("1-0", good), Entry("2-0", padded), Entry("3-0", junk)]
    out = decode(entries, TypeAdapter(BarClosed), ORIGIN, 7, max_bytes=512)
    assert [e.id for e, _ in out.ok] == ["1-0"]
    assert [(d.entry_id, d.reason) for d in out.dead] == [
        ("2-0", f"entry of {len(padded)} bytes is over the 512-byte limit of candlecast:bars"),
        ("3-0", "entry of 600 bytes is over the 512-byte limit of candlecast:bars"),
    ]
    assert all(d.truncated and d.size > 512 for d in out.dead)
    at_limit = decode([Entry("1-0", good)], TypeAdapter(BarClosed), ORIGIN, 7, max_bytes=len(good))
    assert len(at_limit.ok) == 1, "exactly at the limit passes"
    assert len(decode(entries, TypeAdapter(BarClosed), ORIGIN, 7).ok) == 2, "no limit by default"


def test_an_unknown_command_is_named_and_a_huge_tag_not_echoed() -> None:
    adapter: TypeAdapter[Command] = TypeAdapter(Command)
    (dead,) = decode([Entry("1-0", b'{"command":"explode"}')], adapter, ORIGIN, 7).dead
    assert dead.reason == (
        "schema check failed at message: unknown command 'explode' "
        "(expected one of 'retrain', 'promote', 'rollback')"
    )
    huge = json.dumps({"command": "x" * 100_000}).encode()
    (dead,) = decode([Entry("1-0", huge)], adapter, ORIGIN, 7).dead
    assert dead.reason.startswith("schema check failed at message: unknown command 'xxx")
    assert "expected one of 'retrain'" in dead.reason
    assert len(dead.reason) < 400


def test_a_huge_key_in_the_error_location_is_clipped() -> None:
    huge = json.dumps({"k" * 50_000: "nope"}).encode()  # a by-name map, as version-1 feature rows were
    (dead,) = decode([Entry("1-0", huge)], TypeAdapter(dict[str, float]), ORIGIN, 7).dead
    assert dead.reason.startswith("schema check failed at kkk")
    assert "valid number" in dead.reason
    assert len(dead.reason) <= LONGEST_REASON


def test_a_huge_key_in_a_feature_row_is_not_echoed() -> None:
    row = {"symbol": "X", "timeframe": "5m", "ts": 0, "close": 1.0, "values": {"k" * 50_000: "nope"}}
    for fs in (CORE.id.model_dump(), {"name": "core", "version": 1, "hash": "abc"}):  # known, unknown
        data = json.dumps({**row, "feature_set": fs}).encode()
        (dead,) = decode_rows([Entry("1-0", data)], ORIGIN, 7).dead
        assert dead.reason.startswith("not a feature row: values ")
        assert "kkk" not in dead.reason
        assert len(dead.reason) <= LONGEST_REASON
    wide = {**row, "values": [1.0], "feature_set": {"name": "k" * 50_000, "version": 0, "hash": "a"}}
    (dead,) = decode_rows([Entry("1-0", json.dumps(wide).encode())], ORIGIN, 7).dead
    assert dead.reason.startswith("not a feature row: feature_set must be")
    assert len(dead.reason) <= LONGEST_REASON


def test_commands_are_bounded() -> None:
    adapter: TypeAdapter[Command] = TypeAdapter(Command)
    assert len(RetrainModel(symbols=["A"] * MAX_SYMBOLS).symbols) == MAX_SYMBOLS
    too_many = json.dumps({"command": "retrain", "symbols": ["A"] * (MAX_SYMBOLS + 1)}).encode()
    (dead,) = decode([Entry("1-0", too_many)], adapter, ORIGIN, 7).dead
    assert "retrain.symbols" in dead.reason
    assert "at most 1000 items" in dead.reason
    long_id = "r" * (MAX_ID_CHARS + 1)
    for bad in (
        lambda: RetrainModel(request_id=long_id),
        lambda: PromoteModel(request_id=long_id, version="v1"),
        lambda: PromoteModel(version="v" * (MAX_ID_CHARS + 1)),
        lambda: RollbackModel(version="v" * (MAX_ID_CHARS + 1)),
    ):
        with pytest.raises(ValidationError, match="at most 200 characters"):
            bad()
    assert RetrainModel(request_id="r" * MAX_ID_CHARS).request_id == "r" * MAX_ID_CHARS


def test_a_prefix_counts_characters_not_bytes_and_never_splits_one() -> None:
    for char in ("é", "€", "🕯"):  # 2, 3 and 4 bytes in UTF-8
        data = (char * 5_000).encode()
        dead = dead_letter(ORIGIN, Entry("1-0", data), "why", 7)
        assert dead.payload == char * 100 + f"…[truncated: {len(data)} bytes in all]"
        fits = dead_letter(ORIGIN, Entry("1-0", (char * 100).encode()), "why", 7)
        assert (fits.payload, fits.truncated) == (char * 100, False)
