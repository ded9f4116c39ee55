"""Bars as columns: several series' bars stacked in one set of columns, sliced per series."""

from __future__ import annotations

import numpy as np
import pytest

from candlecast.shared.core.bars import Bars, Stacked


def test_stacked_columns_are_each_series_columns_as_contiguous_views(make_bars):
    a, b = make_bars(7, seed=1), make_bars(5, seed=2)
    messages = a.to_messages() + b.to_messages()
    stacked = Stacked.of(
        [m.ts for m in messages], [(m.open, m.high, m.low, m.close, m.volume) for m in messages]
    )
    for bars, (start, stop) in ((a, (0, 7)), (b, (7, 12))):
        columns = stacked.columns(start, stop)
        expected = Bars.from_messages(bars.to_messages())
        for got, want in zip(
            columns,
            (expected.ts, expected.open, expected.high, expected.low, expected.close, expected.volume),
            strict=True,
        ):
            assert got.dtype == want.dtype
            assert got.flags.c_contiguous
            assert np.array_equal(got, want)
            assert got.base is not None  # a view, not a copy


def test_stacked_of_no_bars_has_empty_columns():
    columns = Stacked.of([], []).columns(0, 0)
    assert [c.shape for c in columns] == [(0,)] * 6
    assert [c.dtype for c in columns] == [np.dtype(np.int64)] + [np.dtype(np.float64)] * 5


def test_stacked_of_a_ts_over_int64_raises_overflow():
    with pytest.raises(OverflowError):
        Stacked.of([2**63], [(1.0, 1.0, 1.0, 1.0, 1.0)])
