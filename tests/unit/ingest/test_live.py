"""The synthetic source at the clock's pace, driven by a fake clock: never a bar from the future."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from candlecast.ingest.app import IngestSettings, synthetic_source
from candlecast.ingest.live import closed_chunk, run_live
from candlecast.ingest.synthetic import SyntheticMarket
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.core.bars import Bars
from tests.support.clock import FakeClock

NOW = 1_767_225_603_217  # not on a bar boundary
STEP = 5_000


def market(backfill: int) -> SyntheticMarket:
    start = (NOW // STEP - backfill) * STEP
    return SyntheticMarket(["AAA", "BBB"], "5s", start, seed=3, signal=0.3, correlation=0.5)


def test_the_backfill_ends_now_with_the_last_bar_closed() -> None:
    (a, b) = closed_chunk(market(100), NOW)
    assert len(a) == len(b) == 100
    assert a.ts[-1] + STEP <= NOW < a.ts[-1] + 2 * STEP
    assert closed_chunk(market(100), NOW)[0].ts.tolist() == a.ts.tolist()


def test_live_bars_leave_only_after_their_close_and_none_is_missed() -> None:
    clock = FakeClock(NOW, jitter_ms=7_000)  # sleeps overshoot by up to 7 s: bars bunch up
    sent: list[tuple[int, Bars]] = []

    async def emit(chunk: list[Bars]) -> None:
        sent.extend((clock(), bars) for bars in chunk)

    live = market(50)
    produced = asyncio.run(run_live(live, clock, clock.sleep, emit, bars=400))
    assert produced >= 400
    for at, bars in sent:
        assert (bars.ts + STEP <= at).all(), "a bar left before its close time"
    ts = np.concatenate([b.ts for _, b in sent if b.symbol == "AAA"])
    assert np.array_equal(ts, ts[0] + STEP * np.arange(ts.size)), "every bar once, in order"
    assert ts[0] + STEP <= NOW
    assert ts.size == produced
    assert max(clock.sleeps) <= STEP / 1000, "it never sleeps past the next close"


def test_without_jitter_each_bar_leaves_at_its_close() -> None:
    clock = FakeClock(NOW, jitter_ms=0)
    lags: list[int] = []

    async def emit(chunk: list[Bars]) -> None:
        lags.extend((clock() - (chunk[0].ts + STEP)).tolist())

    asyncio.run(run_live(market(0), clock, clock.sleep, emit, bars=20))
    assert len(lags) == 20
    assert min(lags) >= 0, "never before the close"
    assert max(lags) <= 1, "within a ms of it"


def test_the_ingest_source_resumes_after_the_store_and_stops_at_the_clock(tmp_path) -> None:
    settings = IngestSettings(symbols=["AAA", "BBB"], timeframe="5s", backfill_bars=500, home=tmp_path)
    store = BarStore(tmp_path)
    first = synthetic_source(settings, store)
    now = now_ms()
    backfill = closed_chunk(first, now)
    assert len(backfill[0]) == len(backfill[1]) in (500, 501)  # 501 if a close passed in between
    assert int(backfill[0].ts[-1]) + STEP <= now
    for bars in backfill[:1]:  # only AAA stored: the source resumes after the newest stored bar
        store.append(bars.take(slice(0, 480)))
    again = synthetic_source(settings, store)
    assert again.next_ts == int(backfill[0].ts[479]) + STEP
    later = now + 12_000
    gap = closed_chunk(again, later)
    assert gap[0].open[0] == pytest.approx(backfill[0].close[479], rel=1e-12), "AAA: from its stored close"
    assert gap[1].open[0] == pytest.approx(100.0, rel=1e-12), "BBB has nothing stored: the default price"
    assert int(gap[0].ts[-1]) + STEP <= later < int(gap[0].ts[-1]) + 2 * STEP
    assert again.due(later) == 0


def test_the_synthetic_source_reads_ccxt_spelling_as_stream_symbols(tmp_path) -> None:
    settings = IngestSettings(symbols=["AAA/USDT", "BBB"], timeframe="5s", backfill_bars=10, home=tmp_path)
    bars = closed_chunk(synthetic_source(settings, BarStore(tmp_path)), now_ms())
    assert [b.symbol for b in bars] == ["AAAUSDT", "BBB"]
