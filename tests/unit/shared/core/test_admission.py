"""Admission rules: closed bars only (with unit hints), no implausible jumps, duplicates told apart."""

from __future__ import annotations

import numpy as np

from candlecast.shared.core.admission import (
    Jump,
    Recent,
    Rules,
    admitted,
    duplicate_kind,
    jump_refusal,
    symbol_refusal,
    time_refusal,
    values_of,
)
from candlecast.shared.core.messages import BarClosed
from candlecast.shared.core.timeframes import DAY_MS

NOW = 1_764_000_000_000  # 2025-11-24
TF = 300_000
RULES = Rules(skew_ms=5_000, max_jump_ms=7 * DAY_MS, jump_confirm=3)


def bar(ts: int, close: float = 100.0) -> BarClosed:
    return BarClosed(symbol="AAA", ts=ts, open=100, high=101, low=99, close=close, volume=1)


def test_a_closed_bar_enters_and_one_still_forming_does_not() -> None:
    assert time_refusal(NOW - TF, TF, NOW, RULES) is None
    assert time_refusal(NOW - TF + 5_000, TF, NOW, RULES) is None, "within the skew"
    reason = time_refusal(NOW - TF + 5_001, TF, NOW, RULES)
    assert reason is not None
    assert reason.startswith("bar from the future: closes at")
    assert "microseconds" not in reason


def test_far_future_seconds_and_microseconds_are_refused_with_the_unit_named() -> None:
    year_2100 = 4_102_444_800_000
    assert "bar from the future" in str(time_refusal(year_2100, TF, NOW, RULES))
    seconds = time_refusal(NOW // 1000, TF, NOW, RULES)
    assert seconds is not None
    assert seconds.startswith(f"ts {NOW // 1000} looks like seconds")
    micros = time_refusal(NOW * 1000, TF, NOW, RULES)
    assert micros is not None
    assert f"looks like microseconds (/1000 would be {NOW})" in micros


def test_a_jump_is_refused_until_enough_bars_in_a_row_agree() -> None:
    last = NOW - 30 * DAY_MS
    jump = Jump()
    assert jump_refusal(last, last + 7 * DAY_MS, jump, RULES) is None, "at the limit"
    far = NOW - TF
    assert "implausible jump" in str(jump_refusal(last, far - 2 * TF, jump, RULES))
    assert "implausible jump" in str(jump_refusal(last, far - TF, jump, RULES))
    assert jump_refusal(last, far, jump, RULES) is None, "the third bar in a row confirms the jump"
    assert jump == Jump()


def test_an_in_order_bar_clears_a_lone_jump() -> None:
    last = NOW - 30 * DAY_MS
    jump = Jump()
    assert jump_refusal(last, NOW - TF, jump, RULES) is not None
    assert jump_refusal(last, last + TF, jump, RULES) is None
    assert jump_refusal(last + TF, NOW - TF, jump, RULES) is not None
    assert jump.run == 1, "the lone outlier starts counting again"


def test_exact_and_conflicting_duplicates_and_a_bounded_window() -> None:
    recent = Recent(size=2)
    for ts in (1, 2, 3):
        recent.add(ts * TF + 10**12, values_of(bar(ts * TF + 10**12)))
    assert sorted(recent.values) == [2 * TF + 10**12, 3 * TF + 10**12]
    assert duplicate_kind(recent, bar(3 * TF + 10**12)) == "exact"
    assert duplicate_kind(recent, bar(3 * TF + 10**12, close=100.5)) == "conflict"
    assert duplicate_kind(recent, bar(TF + 10**12)) is None
    assert Recent.from_rows(recent.to_rows(), size=2) == recent


def test_admitted_keeps_a_series_whole_around_the_rows_it_refuses() -> None:
    ts = np.array([NOW // 1000, *(NOW - (10 - i) * TF for i in range(5)), NOW + DAY_MS], dtype=np.int64)
    keep, reasons = admitted(ts, TF, NOW, RULES)
    assert keep.tolist() == [False, True, True, True, True, True, False]
    assert [r.split(" ")[0] for r in reasons] == ["ts", "bar"]
    assert symbol_refusal("BTC-USDT:PERP") is None
    assert "letters, digits" in str(symbol_refusal("BTC/USDT"))
