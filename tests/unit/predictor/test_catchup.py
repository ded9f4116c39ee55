"""Which row a promotion's catch-up predicts, from a symbol's newest predictions (pure)."""

from __future__ import annotations

from dataclasses import replace

from candlecast.predictor.catchup import TAIL, Seen, Target, pick_rows, target
from candlecast.shared.core.feature_rows import FeatureRow
from tests.support.models import FS, OTHER

STREAM = "candlecast:predictions:AAA"


def seen(ts: int, version: str, timeframe: str = "5m") -> Seen:
    return Seen(symbol="AAA", timeframe=timeframe, ts=ts, model_version=version)


def row(symbol: str, ts: int, timeframe: str = "5m", fs=FS) -> FeatureRow:
    return FeatureRow(symbol=symbol, timeframe=timeframe, ts=ts, feature_set=fs, values=[0.0], close=1.0)


def test_the_newest_predictions_row_is_the_target() -> None:
    tail = [("9-0", seen(2, "v1")), ("8-0", seen(1, "v1"))]
    assert target(STREAM, tail, "v2", "5m") == Target(STREAM, "9-0", "AAA", 2)


def test_no_target_when_the_model_has_predicted_that_row() -> None:
    assert target(STREAM, [("9-0", seen(2, "v2"))], "v2", "5m") is None
    rollback = [("9-0", seen(2, "v2")), ("8-0", seen(2, "v1")), ("7-0", seen(1, "v1"))]
    assert target(STREAM, rollback, "v1", "5m") is None, "v1 spoke on row 2 before v2's catch-up"
    assert target(STREAM, rollback, "v3", "5m") == Target(STREAM, "9-0", "AAA", 2)


def test_an_older_row_by_the_model_does_not_matter() -> None:
    tail = [("9-0", seen(2, "v1")), ("8-0", seen(1, "v2"))]
    assert target(STREAM, tail, "v2", "5m") == Target(STREAM, "9-0", "AAA", 2)


def test_no_target_for_an_empty_stream_another_timeframe_or_a_tail_all_of_one_row() -> None:
    assert target(STREAM, [], "v2", "5m") is None
    assert target(STREAM, [("9-0", seen(2, "v1", "1h"))], "v2", "5m") is None
    crowded = [(f"{TAIL - i}-0", seen(2, f"v{i}")) for i in range(TAIL)]
    assert target(STREAM, crowded, "new", "5m") is None, "the model may have spoken further back"
    assert target(STREAM, crowded[:-1], "new", "5m") is not None


def test_pick_rows_keeps_the_wanted_rows_of_the_models_timeframe_and_feature_set() -> None:
    rows = [row("AAA", 2), row("AAA", 2, fs=OTHER), row("BBB", 2, "1h"), row("BBB", 1), row("CCC", 5)]
    picked = pick_rows(rows, {("AAA", 2), ("BBB", 1), ("BBB", 2)}, "5m", FS.hash)
    assert picked == {("AAA", 2): rows[0], ("BBB", 1): rows[3]}


def test_pick_rows_keeps_the_first_of_a_row_seen_twice() -> None:
    first, again = row("AAA", 2), replace(row("AAA", 2), close=2.0)
    assert pick_rows([first, again], {("AAA", 2)}, "5m", FS.hash) == {("AAA", 2): first}
