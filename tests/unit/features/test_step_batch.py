"""The step over batches of many series: one set of columns for the batch, each series on its own."""

from __future__ import annotations

import numpy as np

from candlecast.features.checkpoint import JOURNAL, journal_bars, journal_bytes
from candlecast.features.series import Series, SeriesKey
from candlecast.features.step import step
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.entries import Entry, Origin
from candlecast.shared.core.features import MAX_FILL_BARS, SEED, compute, new_state, warmup_bars
from candlecast.shared.core.messages import BarClosed

ORIGIN = Origin("candlecast:bars", "features")
NOW = 1_800_000_000_000
SYMBOLS = ["AAA", "BBB", "CCC"]


def markets(n: int) -> list[Bars]:
    """Three series; BBB has a gap long enough to reset its state (warm-up starts again)."""
    a, b, c = synthetic_bars(SYMBOLS, "5m", 1_735_689_600_000, n, seed=11)
    keep = np.ones(n, dtype=bool)
    keep[n // 2 : n // 2 + MAX_FILL_BARS + 5] = False
    return [a, b.take(keep), c]


def interleaved(parts: list[Bars]) -> list[BarClosed]:
    """Bars in time order across series, as ingest publishes them."""
    messages = [m for bars in parts for m in bars.to_messages()]
    return sorted(messages, key=lambda m: (m.ts, m.symbol))


def as_entries(messages: list[BarClosed], first_id: int = 1) -> list[tuple[Entry, BarClosed]]:
    return [(Entry(f"{first_id + i}-0", b""), m) for i, m in enumerate(messages)]


def fresh() -> dict[SeriesKey, Series]:
    return {(s, "5m"): Series(new_state(SEED, "5m")) for s in SYMBOLS}


def test_batches_of_every_size_give_each_series_the_batch_engine_rows_and_closes():
    parts = markets(2 * warmup_bars(SEED) + 2 * MAX_FILL_BARS)
    items = as_entries(interleaved(parts))
    for size in (3, 7, 64, len(items)):  # one bar per series per batch, ..., everything at once
        series, rows = fresh(), []
        for at in range(0, len(items), size):
            result = step(series, items[at : at + size], SEED, ORIGIN, NOW)
            assert result.dead == []
            rows += result.rows
        for bars in parts:
            own = [r for r in rows if r.symbol == bars.symbol]
            expected = compute(bars, SEED)
            assert [r.ts for r in own] == expected.ts.tolist()
            assert np.array_equal(np.array([r.values for r in own]), expected.values)
            close_at = dict(zip(bars.ts.tolist(), bars.close.tolist(), strict=True))
            assert [r.close for r in own] == [close_at[r.ts] for r in own]


def test_rows_come_series_by_series_in_order_of_first_appearance():
    parts = synthetic_bars(SYMBOLS, "5m", 1_735_689_600_000, warmup_bars(SEED) + 3, seed=11)
    series = fresh()
    step(series, as_entries(interleaved([p.take(slice(0, -3)) for p in parts])), SEED, ORIGIN, NOW)
    tail = interleaved([p.take(slice(-3, None)) for p in parts])
    late = [m for symbol in ("CCC", "AAA", "BBB") for m in tail if m.symbol == symbol]
    result = step(series, as_entries(late, first_id=10_000), SEED, ORIGIN, NOW)
    assert [r.symbol for r in result.rows] == ["CCC"] * 3 + ["AAA"] * 3 + ["BBB"] * 3


def test_a_series_the_columns_cannot_hold_is_refused_alone_and_the_others_flow():
    parts = markets(warmup_bars(SEED) + 2)
    series = fresh()
    step(series, as_entries(interleaved([p.take(slice(0, -2)) for p in parts])), SEED, ORIGIN, NOW)
    before = series["BBB", "5m"].state.to_bytes(), dict(series["BBB", "5m"].recent.values)
    late = interleaved([p.take(slice(-2, None)) for p in parts])
    huge = [
        BarClosed.model_construct(**{**m.model_dump(), "volume": 10**400}) if m.symbol == "BBB" else m
        for m in late
    ]
    result = step(series, as_entries(huge, first_id=10_000), SEED, ORIGIN, NOW)
    refused = [i for i, m in enumerate(huge) if m.symbol == "BBB"]
    assert [d.entry_id for d in result.dead] == [f"{10_000 + i}-0" for i in refused]
    assert all(d.reason.startswith("feature engine refused the bar") for d in result.dead)
    assert (series["BBB", "5m"].state.to_bytes(), dict(series["BBB", "5m"].recent.values)) == before
    assert {r.symbol for r in result.rows} == {"AAA", "CCC"}
    for bars in (parts[0], parts[2]):
        own = [r.values for r in result.rows if r.symbol == bars.symbol]
        assert np.array_equal(np.array(own), compute(bars, SEED).values[-2:])


def test_dead_letters_keep_series_order_admission_first():
    parts = synthetic_bars(SYMBOLS, "5m", 1_735_689_600_000, warmup_bars(SEED) + 2, seed=11)
    series = fresh()
    step(series, as_entries(interleaved([p.take(slice(0, -2)) for p in parts])), SEED, ORIGIN, NOW)
    late = interleaved([p.take(slice(-2, None)) for p in parts])
    held = parts[0].to_messages()[3]  # AAA, in the window: a conflicting duplicate
    old = held.model_copy(update={"volume": held.volume + 1.0})
    broken = [
        BarClosed.model_construct(**{**m.model_dump(), "low": m.high * 2}) if m.symbol == "AAA" else m
        for m in late
    ]
    result = step(series, as_entries([*broken, old], first_id=10_000), SEED, ORIGIN, NOW)
    reasons = [d.reason.split(":")[0] for d in result.dead]
    assert reasons == [
        "conflicting duplicate",
        "feature engine refused the bar",
        "feature engine refused the bar",
    ]
    assert result.dead[0].entry_id == f"{10_000 + len(broken)}-0"
    assert {r.symbol for r in result.rows} == {"BBB", "CCC"}


def test_the_journal_is_the_numpy_rows_bytes_and_reads_back_exactly():
    messages = synthetic_bars(["AAA"], "5m", 1_735_689_600_000, 300, seed=5)[0].to_messages()
    rows = np.array([(m.ts, m.open, m.high, m.low, m.close, m.volume) for m in messages], dtype=JOURNAL)
    data = journal_bytes(messages)
    assert data == rows.tobytes()
    back = journal_bars(data, "AAA", "5m")
    assert back.to_messages() == messages
    assert journal_bytes([]) == b""
