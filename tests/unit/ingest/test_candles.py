"""Pure rules for exchange candles: closed, missing runs, poll times, backoff."""

from __future__ import annotations

import numpy as np

from candlecast.ingest.candles import (
    backoff_s,
    closed_before,
    missing_runs,
    next_poll,
    rows_to_bars,
)

TF = 60_000


def test_a_candle_is_closed_only_once_its_close_time_has_settled() -> None:
    assert closed_before(120_000 + 1_999, TF) <= 60_000  # candle 60_000 closes at 120_000: not settled
    assert 60_000 < closed_before(120_000 + 2_000, TF) <= 120_000
    assert 60_000 < closed_before(179_999, TF) <= 120_000  # candle 120_000 is still forming
    week = 7 * 86_400_000
    monday = 4 * 86_400_000  # weeks on Binance open on Mondays, not on multiples of a week
    assert monday < closed_before(monday + week + 2_000, week) <= monday + week


def test_polls_just_after_each_boundary_settles() -> None:
    assert next_poll(60_500, TF) == 62_000
    assert next_poll(62_000, TF) == 122_000
    assert next_poll(61_999, TF) == 62_000
    week, monday = 7 * 86_400_000, 4 * 86_400_000  # off the epoch grid: poll when the candle due settles
    assert next_poll(monday + 1_000, week, next_open=monday) == monday + week + 2_000
    assert next_poll(62_500, TF, next_open=0) == 122_000  # the candle due is late: the next boundary
    assert next_poll(60_500, TF, next_open=0) == 62_000


def test_missing_runs_are_the_grid_times_the_store_lacks() -> None:
    stored = np.array([0, 60_000, 240_000], dtype=np.int64)
    assert missing_runs(stored, 0, 360_000, TF) == [(120_000, 240_000), (300_000, 360_000)]
    assert missing_runs(stored, 0, 180_000, TF) == [(120_000, 180_000)]
    assert missing_runs(np.arange(0, 360_000, TF), 0, 360_000, TF) == []
    assert missing_runs(np.empty(0, np.int64), 30_000, 130_000, TF) == [(60_000, 180_000)]


def test_rows_become_sorted_unique_bars_without_incomplete_rows() -> None:
    rows = [
        [120_000, 1, 2, 0.5, 1.5, 3],
        [60_000, 1, 1, 1, 1, 0],
        [60_000, 9, 9, 9, 9, 9],
        [0, 1, None, 1, 1, 1],
    ]
    bars = rows_to_bars(rows, "BTCUSDT", "1m")
    assert bars.ts.tolist() == [60_000, 120_000]
    assert bars.close.tolist() == [1.0, 1.5]
    assert len(rows_to_bars([], "X", "1m")) == 0


def test_backoff_doubles_up_to_a_cap_and_honours_retry_after() -> None:
    assert [backoff_s(a, 0.5, 3.0, None) for a in range(4)] == [0.5, 1.0, 2.0, 3.0]
    assert backoff_s(0, 0.5, 3.0, 10.0) == 10.0
