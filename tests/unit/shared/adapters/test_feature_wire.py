"""Feature rows on the wire: orjson both ways, exact floats, and a dead letter for every malformed row."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest

from candlecast.shared.adapters.feature_wire import decode_rows, encode_rows, names_json
from candlecast.shared.core.entries import Entry, Origin
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.features import CORE, SEED
from candlecast.shared.core.messages import FEATURES_SCHEMA_VERSION, MAX_TS_MS, FeaturesComputed
from tests.support.models import FS

ORIGIN = Origin("candlecast:features", "predictor", "predictor")
NOW = 1_800_000_000_000
EXTREMES = [5e-324, -0.0, 0.0, 1e-300, 1.7976931348623157e308, -1.7976931348623157e308, 3.0, -7.0, 2.0**53]


def bits(values: object) -> list[int]:
    """The float64 bit patterns (so -0.0 and 0.0 differ, and nothing is compared approximately)."""
    out: list[int] = np.asarray(values, dtype=np.float64).view(np.uint64).tolist()
    return out


def random_rows(n: int, seed: int) -> list[FeatureRow]:
    rng = np.random.default_rng(seed)
    k = len(CORE.names)
    values = rng.normal(0, 1, (n, k)) * 10.0 ** rng.integers(-300, 300, (n, k))
    values[0, : len(EXTREMES)] = EXTREMES
    return [
        FeatureRow("BTC-USDT:PERP", "5m", int(ts), CORE.id, row, float(close))
        for ts, row, close in zip(rng.integers(0, MAX_TS_MS, n), values, rng.lognormal(0, 6, n), strict=True)
        # values: numpy row views, as the features step writes them
    ]


def entries(docs: list[bytes]) -> list[Entry]:
    return [Entry(f"{i + 1}-0", data) for i, data in enumerate(docs)]


def good(**changes: object) -> dict[str, object]:
    """A valid version-2 row of a feature set this code does not know (two values), with `changes`."""
    doc: dict[str, object] = {
        "schema_version": 2, "symbol": "AAA", "timeframe": "5m", "ts": 1_700_000_000_000,
        "feature_set": FS.model_dump(), "values": [0.5, -1.25], "close": 101.5,
    }  # fmt: skip
    return {**doc, **changes}


def test_rows_round_trip_bit_exactly() -> None:
    rows = random_rows(50, seed=1)
    decoded = decode_rows(entries(encode_rows(rows)), ORIGIN, NOW)
    assert decoded.dead == []
    assert [e.id for e, _ in decoded.ok] == [f"{i + 1}-0" for i in range(len(rows))]
    for row, (_, got) in zip(rows, decoded.ok, strict=True):
        assert bits(got.values) == bits(row.values)
        assert (got.symbol, got.timeframe, got.ts, got.feature_set, got.close) == (
            row.symbol, row.timeframe, row.ts, row.feature_set, row.close,
        )  # fmt: skip
    assert bits(decoded.ok[0][1].values[: len(EXTREMES)]) == bits(EXTREMES)


def test_lists_and_numpy_rows_encode_alike_and_as_the_message_does() -> None:
    values = [*EXTREMES, 0.1, -2.5e-7]
    as_list = FeatureRow("AAA", "1h", 7, FS, values, 2.5)
    as_numpy = FeatureRow("AAA", "1h", 7, FS, np.array([values])[0], 2.5)
    (a, b) = encode_rows([as_list, as_numpy])
    assert a == b
    message = FeaturesComputed(symbol="AAA", timeframe="1h", ts=7, feature_set=FS, values=values, close=2.5)
    assert message.schema_version == FEATURES_SCHEMA_VERSION == 2
    assert orjson.loads(a) == orjson.loads(message.model_dump_json())
    assert bits(FeaturesComputed.model_validate_json(a).values) == bits(values), "pydantic reads it too"
    assert bits(json.loads(a)["values"]) == bits(values), "and plain json"


def test_a_message_written_by_pydantic_decodes_to_the_same_row() -> None:
    message = FeaturesComputed(symbol="AAA", timeframe="5m", ts=9, feature_set=FS, values=EXTREMES, close=3.0)
    ((_, row),) = decode_rows(entries([message.model_dump_json().encode()]), ORIGIN, NOW).ok
    assert bits(row.values) == bits(EXTREMES)
    assert (row.symbol, row.timeframe, row.ts, row.feature_set, row.close) == ("AAA", "5m", 9, FS, 3.0)


def test_a_version_1_row_of_a_known_set_is_read_in_the_sets_order() -> None:
    values = [float(i) + 0.5 for i in range(len(SEED.names))]
    by_name = dict(zip(reversed(SEED.names), reversed(values), strict=True))  # any key order
    doc = good(schema_version=1, feature_set=SEED.id.model_dump(), values={**by_name, "extra": 1.0})
    ((_, row),) = decode_rows(entries([orjson.dumps(doc)]), ORIGIN, NOW).ok
    assert row.values == values
    assert row.feature_set == SEED.id


def test_names_json_is_the_set_and_its_names_in_row_order() -> None:
    assert orjson.loads(names_json(CORE)) == {
        "name": "core", "version": 1, "hash": CORE.hash, "names": list(CORE.names),
    }  # fmt: skip


def without(field: str) -> bytes:
    return orjson.dumps({k: v for k, v in good().items() if k != field})


def with_set(**changes: object) -> bytes:
    return orjson.dumps(good(feature_set={**FS.model_dump(), **changes}))


MALFORMED: list[tuple[str, bytes, str]] = [
    ("malformed JSON", b'{"symbol": "AAA", ', "malformed JSON: "),
    ("not JSON at all", b"\xff\xfe", "malformed JSON: "),
    ("an array", b"[1, 2]", "expected a JSON object, got list"),
    ("a number", b"3", "expected a JSON object, got int"),
    ("symbol missing", without("symbol"), "symbol must be"),
    ("symbol with a space", orjson.dumps(good(symbol="A B")), "symbol must be"),
    ("symbol empty", orjson.dumps(good(symbol="")), "symbol must be"),
    ("symbol too long", orjson.dumps(good(symbol="A" * 41)), "symbol must be"),
    ("symbol a number", orjson.dumps(good(symbol=5)), "symbol must be"),
    ("timeframe unknown", orjson.dumps(good(timeframe="5x")), "timeframe must be"),
    ("ts a string", orjson.dumps(good(ts="1700000000000")), "ts must be an integer"),
    ("ts a bool", orjson.dumps(good(ts=True)), "ts must be an integer"),
    ("ts a float", orjson.dumps(good(ts=1.0)), "ts must be an integer"),
    ("ts negative", orjson.dumps(good(ts=-1)), "ts must be an integer"),
    ("ts too large", orjson.dumps(good(ts=MAX_TS_MS + 1)), "ts must be an integer"),
    ("ts missing", without("ts"), "ts must be an integer"),
    ("feature_set missing", without("feature_set"), "feature_set must be an object"),
    ("feature_set a string", orjson.dumps(good(feature_set=FS.hash)), "feature_set must be an object"),
    ("feature_set without hash", orjson.dumps(good(feature_set={"name": "t", "version": 1})), "hash"),
    ("feature_set version 0", with_set(version=0), "version >= 1"),
    ("feature_set version text", with_set(version="1"), "version >= 1"),
    ("feature_set hash a number", with_set(hash=7), "feature_set must be"),
    ("values missing", without("values"), "values must be an array"),
    ("values a string", orjson.dumps(good(values="0.5,1.0")), "values must be an array"),
    ("values a number", orjson.dumps(good(values=0.5)), "values must be an array"),
    ("values by name, unknown set", orjson.dumps(good(values={"f1": 0.5, "f2": 1.0})), "does not know"),
    (
        "values by name, a name missing",
        orjson.dumps(good(feature_set=SEED.id.model_dump(), values={"close": 1.0})),
        "values lack feature",
    ),
    ("close 0", orjson.dumps(good(close=0)), "close must be a positive number"),
    ("close negative", orjson.dumps(good(close=-1.5)), "close must be a positive number"),
    ("close a string", orjson.dumps(good(close="101.5")), "close must be a positive number"),
    ("close a bool", orjson.dumps(good(close=True)), "close must be a positive number"),
    ("close missing", without("close"), "close must be"),
]


@pytest.mark.parametrize(("data", "reason"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_each_malformed_row_is_dead_lettered_with_its_problem_and_the_good_rows_still_decode(
    data: bytes, reason: str
) -> None:
    batch = entries([orjson.dumps(good(ts=1)), data, orjson.dumps(good(ts=3))])
    decoded = decode_rows(batch, ORIGIN, NOW)
    assert [(e.id, row.ts) for e, row in decoded.ok] == [("1-0", 1), ("3-0", 3)]
    (dead,) = decoded.dead
    assert dead.reason.startswith(("not a feature row: ", "malformed JSON: "))
    assert reason in dead.reason
    assert (dead.entry_id, dead.stream, dead.group, dead.service, dead.failed_at) == (
        "2-0", ORIGIN.stream, ORIGIN.group, ORIGIN.service, NOW,
    )  # fmt: skip
    assert len(dead.reason) < 400


def test_an_entry_over_the_byte_limit_is_dead_lettered_unread() -> None:
    small, big = orjson.dumps(good()), orjson.dumps(good(values=[0.5] * 1_000))
    limit = len(small)
    decoded = decode_rows(entries([small, big, small]), ORIGIN, NOW, max_bytes=limit)
    assert [e.id for e, _ in decoded.ok] == ["1-0", "3-0"], "exactly at the limit passes"
    (dead,) = decoded.dead
    assert dead.entry_id == "2-0"
    assert dead.reason == f"entry of {len(big)} bytes is over the {limit}-byte limit of {ORIGIN.stream}"
    assert len(decode_rows(entries([big]), ORIGIN, NOW).ok) == 1, "no limit by default"


def test_values_are_not_checked_one_by_one_on_read() -> None:
    """The predictor's matrix refuses them (test_serving); decoding only checks that they are an array."""
    odd = [[0.5, None], [0.5, "1.0"], [True, 1.0], []]
    decoded = decode_rows(entries([orjson.dumps(good(values=v)) for v in odd]), ORIGIN, NOW)
    assert decoded.dead == []
    assert [row.values for _, row in decoded.ok] == odd


@pytest.mark.parametrize("value", ["AAA\n", "5m\n"], ids=["symbol", "timeframe"])
def test_a_trailing_newline_is_refused_as_pydantic_refuses_it(value: str) -> None:
    field = "symbol" if value.startswith("A") else "timeframe"
    data = orjson.dumps(good(**{field: value}))
    with pytest.raises(ValueError):
        FeaturesComputed.model_validate_json(data)
    (dead,) = decode_rows(entries([data]), ORIGIN, NOW).dead
    assert f"{field} must be" in dead.reason


@pytest.mark.parametrize("version", [True, 1.0], ids=["bool", "float"])
def test_a_malformed_feature_set_is_refused_whatever_came_before_it(version: object) -> None:
    bad = orjson.dumps(good(feature_set={**FS.model_dump(), "version": version}))
    alone = decode_rows(entries([bad]), ORIGIN, NOW)
    assert alone.ok == []
    after_a_good_row = decode_rows(entries([orjson.dumps(good()), bad]), ORIGIN, NOW)
    assert [e.id for e, _ in after_a_good_row.ok] == ["1-0"]


VARIANTS = [
    good(),
    good(close=100),  # an integer close is read as a float
    good(close=5e-324, ts=0),
    good(ts=MAX_TS_MS),
    good(symbol="BTC-USDT:PERP", timeframe="4h"),
    good(feature_set={**FS.model_dump(), "name": "other"}),
    good(feature_set={**FS.model_dump(), "version": 2}),
    good(feature_set=SEED.id.model_dump(), values={name: float(i) for i, name in enumerate(SEED.names)}),
    good(extra_field=1, schema_version=9),
]


def test_a_row_decodes_the_same_first_in_its_batch_or_after_rows_that_were_checked_in_full() -> None:
    """Later rows of a batch are checked against what earlier rows proved valid; the result is the same."""
    docs = [orjson.dumps(v) for v in VARIANTS]
    alone = [decode_rows(entries([d]), ORIGIN, NOW).ok[0][1] for d in docs]
    together = decode_rows(entries(docs * 2), ORIGIN, NOW)
    assert together.dead == []
    assert [row for _, row in together.ok] == alone * 2
    assert [type(row.close) for _, row in together.ok] == [float] * len(together.ok)


@pytest.mark.parametrize(("data", "reason"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_row_is_refused_after_every_kind_of_good_row(data: bytes, reason: str) -> None:
    docs = [orjson.dumps(v) for v in VARIANTS]
    decoded = decode_rows(entries([*docs, data, *docs]), ORIGIN, NOW)
    assert len(decoded.ok) == 2 * len(docs)
    (dead,) = decoded.dead
    assert dead.entry_id == f"{len(docs) + 1}-0"
    assert reason in dead.reason
