"""The features service's pure step: plain entries and bars in, rows and dead letters out."""

from __future__ import annotations

import numpy as np

from candlecast.features.series import Series, SeriesKey
from candlecast.features.step import partition_of, step
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.core.admission import Recent
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.entries import Entry, Origin
from candlecast.shared.core.features import SEED, compute, new_state, warmup_bars
from candlecast.shared.core.messages import BarClosed

ORIGIN = Origin("candlecast:bars", "features")
KEY: SeriesKey = ("AAA", "5m")
NOW = 1_800_000_000_000


def market(n: int) -> Bars:
    return synthetic_bars(["AAA"], "5m", 1_735_689_600_000, n, seed=3)[0]


def entries(bars: list[BarClosed], first_id: int = 1) -> list[tuple[Entry, BarClosed]]:
    return [(Entry(f"{first_id + i}-0", b.model_dump_json().encode()), b) for i, b in enumerate(bars)]


def fresh() -> dict[SeriesKey, Series]:
    return {KEY: Series(new_state(SEED, "5m"))}


def test_rows_are_the_batch_engine_rows_with_their_bar_close() -> None:
    bars = market(warmup_bars(SEED) + 20)
    series = fresh()
    result = step(series, entries(bars.to_messages()), SEED, ORIGIN, NOW)
    expected = compute(bars, SEED)
    assert [r.ts for r in result.rows] == expected.ts.tolist()
    assert np.array_equal([r.values for r in result.rows], expected.values)
    assert [r.close for r in result.rows] == bars.close[-len(expected) :].tolist()
    assert {r.feature_set.hash for r in result.rows} == {SEED.hash}
    assert result.dead == []
    assert result.touched == {KEY}
    assert series[KEY].entry_id == f"{len(bars)}-0"


def test_a_redelivered_batch_is_skipped_without_rows_or_dead_letters() -> None:
    messages = market(warmup_bars(SEED) + 5).to_messages()
    series = fresh()
    step(series, entries(messages), SEED, ORIGIN, NOW)
    before = series[KEY].state.to_bytes()
    again = step(series, entries(messages), SEED, ORIGIN, NOW)  # same ids, as after a crash before the ack
    assert again.rows == []
    assert again.dead == []
    assert series[KEY].state.to_bytes() == before


def test_out_of_order_bars_are_dead_lettered_and_the_rest_flow() -> None:
    messages = market(warmup_bars(SEED) + 3).to_messages()
    series = fresh()
    step(series, entries(messages[:-3]), SEED, ORIGIN, NOW)
    last_ts = messages[-4].ts
    series[KEY].recent = Recent(size=2)  # older bars than the window can't be told duplicates
    late = [messages[-2], messages[5], messages[-1]]  # the middle one is long past
    result = step(series, entries(late, first_id=100), SEED, ORIGIN, NOW)
    assert [r.ts for r in result.rows] == [messages[-2].ts, messages[-1].ts]
    (dead,) = result.dead
    assert dead.entry_id == "101-0"
    assert dead.reason == f"out-of-order bar: ts {messages[5].ts} is not after {messages[-2].ts}"
    assert (dead.stream, dead.group, dead.failed_at) == (ORIGIN.stream, ORIGIN.group, NOW)
    assert series[KEY].state.last_ts == messages[-1].ts != last_ts


def test_duplicates_of_an_earlier_batch_are_told_apart_by_the_window() -> None:
    messages = market(warmup_bars(SEED) + 3).to_messages()
    series = fresh()
    step(series, entries(messages), SEED, ORIGIN, NOW)
    conflict = messages[-2].model_copy(update={"volume": 123456.0})
    result = step(series, entries([messages[-1], conflict], first_id=100), SEED, ORIGIN, NOW)
    assert (result.rows, result.duplicates, series[KEY].duplicates) == ([], 1, 1)
    (dead,) = result.dead
    assert dead.reason.startswith(f"conflicting duplicate: ts {messages[-2].ts}")
    assert max(series[KEY].recent.values) == messages[-1].ts


def test_a_refused_chunk_dead_letters_its_bars_and_keeps_the_state() -> None:
    messages = market(warmup_bars(SEED) + 2).to_messages()
    series = fresh()
    step(series, entries(messages[:-2]), SEED, ORIGIN, NOW)
    before = series[KEY].state.to_bytes()
    broken = BarClosed.model_construct(**{**messages[-1].model_dump(), "low": messages[-1].high * 2})
    result = step(series, entries([messages[-2], broken], first_id=100), SEED, ORIGIN, NOW)
    assert result.rows == []
    assert [d.entry_id for d in result.dead] == ["100-0", "101-0"]
    assert all(d.reason.startswith("feature engine refused the bar") for d in result.dead)
    assert series[KEY].state.to_bytes() == before, "the kernel refuses a chunk before changing anything"
    assert series[KEY].entry_id == "101-0", "a redelivery of the refused entries is skipped"


def test_series_are_advanced_separately() -> None:
    a, b = synthetic_bars(["AAA", "BBB"], "5m", 1_735_689_600_000, warmup_bars(SEED) + 4, seed=9)
    mixed = [m for pair in zip(a.to_messages(), b.to_messages(), strict=True) for m in pair]
    series = {KEY: Series(new_state(SEED, "5m")), ("BBB", "5m"): Series(new_state(SEED, "5m"))}
    result = step(series, entries(mixed), SEED, ORIGIN, NOW)
    for bars in (a, b):
        own = [r for r in result.rows if r.symbol == bars.symbol]
        assert np.array_equal([r.values for r in own], compute(bars, SEED).values)


def test_partition_of_is_stable_across_processes_and_spreads_symbols() -> None:
    # Pinned: Python's hash() is salted per process and would move symbols between workers.
    names = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "AAA", "BBB", "CCC", "DDD", "EEE"]
    assert [partition_of(s, 4) for s in names] == [3, 0, 0, 3, 3, 3, 2, 2]
    assert partition_of("BTCUSDT", 7) == 1
    assert {partition_of(s, 1) for s in names} == {0}


def test_a_lone_bar_far_ahead_is_dead_lettered_and_the_real_next_bars_enter() -> None:
    messages = market(warmup_bars(SEED) + 4).to_messages()
    series = fresh()
    step(series, entries(messages[:-4]), SEED, ORIGIN, NOW)
    ahead = messages[-4].model_copy(update={"ts": NOW - 86_400_000})  # closed, but a year ahead
    result = step(series, entries([ahead, *messages[-4:]], first_id=100), SEED, ORIGIN, NOW)
    (dead,) = result.dead
    assert dead.reason.startswith(f"implausible jump: ts {ahead.ts}")
    assert [r.ts for r in result.rows] == [m.ts for m in messages[-4:]]
    assert series[KEY].state.last_ts == messages[-1].ts
