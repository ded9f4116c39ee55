"""Skipped rows counted by kind: what replay prints instead of one total."""

from __future__ import annotations

from collections import Counter

import numpy as np

from candlecast.ingest.publish import clean, clean_counted
from candlecast.ingest.skips import invalid_kinds, refusal_kind, skipped_line
from candlecast.ingest.synthetic import synthetic_bars
from candlecast.shared.core.admission import Rules, symbol_refusal, time_refusal
from candlecast.shared.core.bars import Bars

T0, TF = 1_735_689_600_000, 300_000


def with_columns(bars: Bars, **columns: np.ndarray) -> Bars:
    values = {c: columns.get(c, getattr(bars, c)) for c in ("ts", "open", "high", "low", "close", "volume")}
    return Bars(bars.symbol, bars.timeframe, **values)


def test_each_impossible_row_gets_its_first_problem() -> None:
    (bars,) = synthetic_bars(["X"], "5m", T0, 6, seed=1)
    high, low, volume, close = bars.high.copy(), bars.low.copy(), bars.volume.copy(), bars.close.copy()
    close[0] = np.nan
    low[1] = -1.0
    high[2] = low[2] / 2
    close[3] = high[3] * 2
    volume[4] = -1.0
    broken = with_columns(bars, high=high, low=low, volume=volume, close=close)
    assert invalid_kinds(broken) == [
        "missing or infinite value",
        "price <= 0",
        "high < low",
        "open or close outside low-high",
        "volume < 0",
    ]


def test_admission_refusals_have_short_kinds() -> None:
    rules = Rules()
    assert refusal_kind(time_refusal(T0 // 1000, TF, T0, rules) or "") == "ts in seconds"
    assert refusal_kind(time_refusal(T0 * 1000, TF, T0, rules) or "") == "ts in microseconds"
    assert refusal_kind(time_refusal(T0 + TF, TF, T0, rules) or "") == "not closed yet"
    assert refusal_kind(symbol_refusal("BTC/USDT") or "") == "bad symbol"


def test_clean_counts_every_dropped_row_by_kind_and_the_total_agrees() -> None:
    (bars,) = synthetic_bars(["X"], "5m", T0, 10, seed=2)
    high = bars.high.copy()
    high[3] = bars.low[3] / 2
    ts = bars.ts.copy()
    ts[9] = T0 + 1_000 * TF  # not closed at `now`
    odd = with_columns(bars, high=high, ts=ts).take(np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2]))
    bad = synthetic_bars(["BTC/USDT"], "5m", T0, 4, seed=3)[0]
    now = T0 + 20 * TF
    kept, counts = clean_counted([odd, bad], now_ms=now)
    assert counts == Counter({"bad symbol": 4, "repeated ts": 2, "high < low": 1, "not closed yet": 1})
    assert len(kept[0]) == 8
    assert clean([odd, bad], now_ms=now)[1] == counts.total()


def test_the_line_names_the_most_frequent_kind_first() -> None:
    assert skipped_line(Counter({"high < low": 5, "repeated ts": 7})) == (
        "skipped 12 rows: 7 repeated ts, 5 high < low"
    )
    assert skipped_line(Counter({"bad symbol": 1})) == "skipped 1 row: 1 bad symbol"
    assert skipped_line(Counter()) == ""
