"""Ingest's cleaning and ordering of bars before they are stored and published."""

from __future__ import annotations

import numpy as np

from candlecast.ingest.publish import clean, time_ordered
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.core.bars import Bars, valid_mask
from candlecast.shared.core.messages import bar_problem


def test_valid_mask_agrees_with_the_message_rule() -> None:
    rng = np.random.default_rng(1)
    n = 2_000
    o, c = rng.uniform(-1, 3, n), rng.uniform(-1, 3, n)
    h, lo, v = rng.uniform(-1, 4, n), rng.uniform(-1, 3, n), rng.uniform(-1, 5, n)
    o[::97] = np.nan
    h[::89] = np.inf
    bars = Bars("X", "5m", np.arange(n, dtype=np.int64), o, h, lo, c, v)
    expected = [bar_problem(*row) is None for row in zip(o, h, lo, c, v, strict=True)]
    assert valid_mask(bars).tolist() == expected
    assert 0 < sum(expected) < n


def test_clean_drops_impossible_bars_and_repeats_keeping_the_first() -> None:
    bars = synthetic_bars(["X"], "5m", 1_735_689_600_000, 10, seed=1)[0]
    high = bars.high.copy()
    high[3] = bars.low[3] / 2
    repeat = bars.take(np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 5]))
    broken = Bars(
        "X",
        "5m",
        repeat.ts,
        repeat.open,
        np.append(high, high[5] * 10),
        repeat.low,
        repeat.close,
        repeat.volume,
    )
    [kept], dropped = clean([broken])
    assert dropped == 2
    assert kept.ts.tolist() == [t for i, t in enumerate(bars.ts.tolist()) if i != 3]
    assert kept.high[4] == bars.high[5], "the first of the repeated ts is kept"


def test_time_ordered_interleaves_symbols_by_ts() -> None:
    a, b = synthetic_bars(["A", "B"], "5m", 0, 3, seed=2)
    merged = time_ordered([b, a])
    assert [(m.ts, m.symbol) for m in merged] == [(t, s) for t in a.ts.tolist() for s in ("A", "B")]


def test_clean_refuses_what_admission_refuses_and_keeps_the_series_going() -> None:
    start, tf = 1_735_689_600_000, 300_000
    now = start + 100 * tf
    bars = synthetic_bars(["X"], "5m", start, 10, seed=1)[0]
    ts = bars.ts.copy()
    ts[2] = start // 1000 + 2  # seconds
    ts[5] = now + 10 * 86_400_000  # future, sorted last
    ts[6] = now - 30 * tf  # 90 bars ahead of its neighbours: within the jump limit, kept
    odd = Bars("X", "5m", ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
    order = np.argsort(ts)
    bad_symbol = synthetic_bars(["BTC/USDT"], "5m", start, 3, seed=2)[0]
    kept, dropped = clean([odd.take(order), bad_symbol], now_ms=now)
    assert [k.symbol for k in kept] == ["X"]
    assert dropped == 2 + 3
    assert ts[2] not in kept[0].ts
    assert ts[5] not in kept[0].ts
    assert len(kept[0]) == 8
