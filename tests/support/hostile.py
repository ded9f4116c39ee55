"""hypothesis strategies for hostile entries on `bars` and `commands`, each with the reason it must get.

A `Bad` is one malformed entry: its kind, its data (bytes, or a JSON object that the
test may still give a request id), and a piece of text its dead letter's reason must hold.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass

from hypothesis import strategies as st

from candlecast.shared.core.admission import MICROS_ABOVE, SECONDS_BELOW
from candlecast.shared.core.messages import MAX_SYMBOLS, MAX_TS_MS

START = 1_735_689_600_000  # 2025-01-01
YEAR_2100 = 4_102_444_800_000
BASE = {"symbol": "AAA", "timeframe": "5m", "ts": START, "open": 10.0, "high": 11.0, "low": 9.0,
        "close": 10.5, "volume": 1.0}  # fmt: skip
REQUIRED = ("symbol", "ts", "open", "high", "low", "close", "volume")  # BarClosed's order
PRICES = ("open", "high", "low", "close")
COMMAND = {"command": "retrain", "horizon": 2, "trials": 3}
NOT_NUMBERS = st.text(alphabet="bcdghjkmopqrstuvwxyz !?#", min_size=1, max_size=12)
WRONG_NUMBER = st.one_of(NOT_NUMBERS, st.lists(st.integers(), max_size=3), st.none(), st.just({"v": 1}))


@dataclass(frozen=True)
class Bad:
    kind: str
    data: bytes | dict[str, object]
    expect: str  # the reason must contain this

    def encoded(self, request_id: str) -> bytes:
        """The entry's data; a JSON object carries `request_id` unless it has one."""
        if isinstance(self.data, bytes):
            return self.data
        return json.dumps({"request_id": request_id, **self.data}).encode()


def _cut(document: dict[str, object]) -> st.SearchStrategy[bytes]:
    """A prefix of a JSON object: never valid JSON."""
    text = json.dumps(document).encode()
    return st.integers(1, len(text) - 1).map(lambda n: text[:n])


def _invalid_json(document: dict[str, object], kind: str) -> st.SearchStrategy[Bad]:
    garbage = st.sampled_from([b"{not json", b"{'single': 'quotes'}", b"", b"[1, 2", b'{"a": tru}'])
    return st.one_of(_cut(document), garbage).map(lambda b: Bad(kind, b, "malformed JSON"))


def _junk(kind: str) -> st.SearchStrategy[Bad]:
    """Bytes that are not UTF-8 (0x80 never starts a character)."""
    return st.binary(max_size=64).map(lambda b: Bad(kind, b"\x80" + b, "malformed JSON"))


def _bar(kind: str, expect: str, **changes: object) -> Bad:
    return Bad(kind, json.dumps({**BASE, **changes}).encode(), expect)


def _wrong_type() -> st.SearchStrategy[Bad]:
    numeric = st.tuples(st.sampled_from([*PRICES, "volume", "ts"]), WRONG_NUMBER)
    textual = st.tuples(st.sampled_from(["symbol", "timeframe"]), st.one_of(st.integers(), st.none()))
    return st.one_of(numeric, textual).map(
        lambda fv: _bar("bar: wrong type", f"schema check failed at {fv[0]}:", **{fv[0]: fv[1]})
    )


def _missing() -> st.SearchStrategy[Bad]:
    def drop(gone: list[str]) -> Bad:
        first = next(name for name in REQUIRED if name in gone)
        data = json.dumps({k: v for k, v in BASE.items() if k not in gone}).encode()
        return Bad("bar: missing field", data, f"schema check failed at {first}: Field required")

    return st.lists(st.sampled_from(REQUIRED), min_size=1, unique=True).map(drop)


def _non_finite() -> st.SearchStrategy[Bad]:
    value = st.sampled_from([float("nan"), float("inf"), float("-inf"), "NaN", "Infinity"])
    return st.tuples(st.sampled_from([*PRICES, "volume"]), value).map(
        lambda fv: _bar("bar: NaN or inf", "non-finite value", **{fv[0]: fv[1]})
    )


def _negative() -> st.SearchStrategy[Bad]:
    value = st.floats(min_value=-1e12, max_value=0.0)
    return st.tuples(st.sampled_from(PRICES), value).map(
        lambda fv: _bar("bar: negative price", "prices must be positive", **{fv[0]: fv[1]})
    )


def _high_below_low() -> st.SearchStrategy[Bad]:
    def bar(low: float, share: float) -> Bad:
        expect = "need low <= min(open, close)"
        return _bar("bar: high < low", expect, open=low, close=low, low=low, high=low * share)

    return st.builds(bar, st.floats(1.0, 1e6), st.floats(0.01, 0.99))


def _ts(kind: str, expect: str, low: int, high: int) -> st.SearchStrategy[Bad]:
    return st.integers(low, high).map(lambda ts: _bar(kind, expect, ts=ts))


def _oversized(limit: int) -> st.SearchStrategy[Bad]:
    expect = f"over the {limit}-byte limit of candlecast:bars"
    return st.integers(limit, 300_000).map(lambda n: _bar("bar: oversized", expect, extra="x" * n))


def bad_bars(bar_limit: int) -> dict[str, st.SearchStrategy[Bad]]:
    return {
        "bar: invalid JSON": _invalid_json(BASE, "bar: invalid JSON"),
        "bar: wrong type": _wrong_type(),
        "bar: missing field": _missing(),
        "bar: NaN or inf": _non_finite(),
        "bar: negative price": _negative(),
        "bar: high < low": _high_below_low(),
        "bar: ts in the future": _ts("bar: ts in the future", "bar from the future", YEAR_2100,
                                     MICROS_ABOVE - 1),
        "bar: ts in seconds": _ts("bar: ts in seconds", "looks like seconds", 0, SECONDS_BELOW - 1),
        "bar: ts in microseconds": _ts("bar: ts in microseconds", "looks like microseconds",
                                       MICROS_ABOVE, MAX_TS_MS),
        "bar: oversized": _oversized(bar_limit),
        "bar: binary junk": _junk("bar: binary junk"),
    }  # fmt: skip


def _unknown_command() -> st.SearchStrategy[Bad]:
    names = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=30)
    return names.filter(lambda n: n not in {"retrain", "promote", "rollback"}).map(
        lambda n: Bad("command: unknown", {"command": n}, f"unknown command {n!r}")
    )


def _command_wrong_type() -> st.SearchStrategy[Bad]:
    fields = st.one_of(
        st.tuples(st.sampled_from(["horizon", "trials"]), WRONG_NUMBER),
        st.tuples(st.just("force"), st.sampled_from(["maybe", [True], {"v": 1}])),
        st.tuples(st.just("symbols"), st.sampled_from(["AAA", 5, {"AAA": 1}, [5], ["BTC/USDT"]])),
        st.tuples(st.just("timeframe"), st.sampled_from([5, [], "5 minutes"])),
    )
    return fields.map(
        lambda fv: Bad(
            "command: wrong type", {**COMMAND, fv[0]: fv[1]}, f"schema check failed at retrain.{fv[0]}"
        )
    )


def _command_missing() -> st.SearchStrategy[Bad]:
    return st.sampled_from(
        [
            Bad("command: missing field", {"command": "promote"}, "at promote.version: Field required"),
            Bad("command: missing field", {"horizon": 2}, "Unable to extract tag using discriminator"),
        ]
    )


def _too_many_symbols() -> st.SearchStrategy[Bad]:
    expect = "at retrain.symbols: List should have at most 1000 items"
    return st.integers(MAX_SYMBOLS + 1, 3 * MAX_SYMBOLS).map(
        lambda n: Bad(
            "command: too many symbols", {**COMMAND, "symbols": [f"S{i}" for i in range(n)]}, expect
        )
    )


def _command_oversized(limit: int) -> st.SearchStrategy[Bad]:
    expect = f"over the {limit}-byte limit of candlecast:commands"
    symbols = st.integers(limit // 9, 20_000).map(lambda n: [f"SYM{i:05d}" for i in range(n)])
    return symbols.map(lambda s: Bad("command: oversized", {**COMMAND, "symbols": s}, expect))


def bad_commands(command_limit: int) -> dict[str, st.SearchStrategy[Bad]]:
    return {
        "command: invalid JSON": _invalid_json(COMMAND, "command: invalid JSON"),
        "command: unknown": _unknown_command(),
        "command: wrong type": _command_wrong_type(),
        "command: missing field": _command_missing(),
        "command: too many symbols": _too_many_symbols(),
        "command: oversized": _command_oversized(command_limit),
        "command: binary junk": _junk("command: binary junk"),
    }
