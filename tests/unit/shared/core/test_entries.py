"""Entries to typed messages or readable dead letters, and the wire format."""

from __future__ import annotations

import json

from pydantic import TypeAdapter

from candlecast.shared.core.entries import Entry, Origin, decode, entry_from_fields, id_key
from candlecast.shared.core.messages import BarClosed, Command, RetrainModel, RollbackModel, bar_problem

ORIGIN = Origin("candlecast:bars", "features")
BAR = {
    "symbol": "X",
    "timeframe": "5m",
    "ts": 0,
    "open": 10,
    "high": 11,
    "low": 9,
    "close": 10.5,
    "volume": 1,
}


def entry(i: int, payload: object) -> Entry:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Entry(f"{i}-0", data)


def test_valid_bars_pass_and_each_bad_kind_gets_its_reason() -> None:
    bad = [
        (b"{oops", "malformed JSON"),
        ({**BAR, "high": 10.2}, "low <= min(open, close)"),
        ({**BAR, "low": -1}, "prices must be positive"),
        ({**BAR, "volume": -1}, "volume must be >= 0"),
        ({**BAR, "close": "NaN"}, "non-finite"),
        ({k: v for k, v in BAR.items() if k != "ts"}, "schema check failed at ts"),
    ]
    entries = [entry(0, BAR)] + [entry(i + 1, p) for i, (p, _) in enumerate(bad)]
    out = decode(entries, TypeAdapter(BarClosed), ORIGIN, now_ms=5)
    assert [e.id for e, _ in out.ok] == ["0-0"]
    assert len(out.dead) == len(bad)
    for dead, (_, reason) in zip(out.dead, bad, strict=True):
        assert reason in dead.reason
        assert dead.stream == ORIGIN.stream
        assert dead.group == ORIGIN.group
        assert dead.failed_at == 5


def test_bar_rule_edges() -> None:
    assert bar_problem(1, 1, 1, 1, 0) is None
    assert bar_problem(1, 2, 0.5, 2, 0) is None
    assert bar_problem(1, 2, 1.5, 2, 0) is not None
    assert bar_problem(float("inf"), 2, 1, 2, 0) is not None


def test_commands_are_discriminated() -> None:
    adapter = TypeAdapter(Command)
    assert isinstance(adapter.validate_json(b'{"command":"retrain","horizon":3}'), RetrainModel)
    assert isinstance(adapter.validate_json(b'{"command":"rollback","version":"v1"}'), RollbackModel)
    out = decode([entry(1, {"command": "explode"})], adapter, ORIGIN, 0)
    assert not out.ok
    assert "schema check failed" in out.dead[0].reason


def test_foreign_entries_without_data_field_are_read_as_their_fields() -> None:
    e = entry_from_fields(b"7-1", {b"symbol": b"X", b"ts": b"0"})
    assert e.id == "7-1"
    assert json.loads(e.data) == {"symbol": "X", "ts": "0"}
    assert entry_from_fields("1-0", {b"__data__": b"{}"}).data == b"{}"


def test_ids_order_numerically() -> None:
    assert id_key("10-0") > id_key("9-5") > id_key("9-4")
