"""The online path for a batch of many series: stacked columns in, rows into one shared buffer."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from candlecast.shared.core.bars import Bars, Stacked
from candlecast.shared.core.features import SEED, advance, compute, new_state, warmup_bars
from candlecast.shared.core.features.engine import advance_columns


def stacked(parts: list[Bars]) -> Stacked:
    messages = [m for part in parts for m in part.to_messages()]
    return Stacked.of(
        [m.ts for m in messages], [(m.open, m.high, m.low, m.close, m.volume) for m in messages]
    )


def test_series_advanced_from_one_stack_into_one_buffer_equal_the_batch_engine(make_bars):
    series = [make_bars(warmup_bars(SEED) + 300, seed=s) for s in (1, 2, 3)]
    states = [new_state(SEED, "5m") for _ in series]
    rows: list[list[np.ndarray]] = [[] for _ in series]
    stamps: list[list[int]] = [[] for _ in series]
    warm = warmup_bars(SEED)
    cuts = [0, 1, 2, warm - 1, warm + 1, warm + 2, warm + 150, warm + 151, warm + 300]
    for lo, hi in itertools.pairwise(cuts):  # each "batch" holds a chunk of every series
        batch = stacked([bars.take(slice(lo, hi)) for bars in series])
        out_ts = np.empty(3 * (hi - lo), dtype=np.int64)
        out = np.empty((3 * (hi - lo), len(SEED.names)))
        for i, state in enumerate(states):
            at = i * (hi - lo)
            m = advance_columns(state, "SYN", "5m", batch.columns(at, at + hi - lo), out_ts[at:], out[at:])
            rows[i] += list(out[at : at + m])
            stamps[i] += out_ts[at : at + m].tolist()
    for bars, got, ts in zip(series, rows, stamps, strict=True):
        expected = compute(bars, SEED)
        assert ts == expected.ts.tolist()
        assert np.array_equal(np.array(got).reshape(-1, len(SEED.names)), expected.values)


def test_an_output_of_the_wrong_shape_is_refused_before_the_kernel_runs(make_bars):
    bars = make_bars(10, seed=4)
    state = new_state(SEED, "5m")
    columns = stacked([bars]).columns(0, 10)
    for out_ts, out in (
        (np.empty(10, dtype=np.int64), np.empty((10, len(SEED.names) - 1))),
        (np.empty(10, dtype=np.int64), np.empty((9, len(SEED.names)))),
        (np.empty(9, dtype=np.int64), np.empty((10, len(SEED.names)))),
    ):
        with pytest.raises(ValueError, match="output of shape"):
            advance_columns(state, "SYN", "5m", columns, out_ts, out)
    with pytest.raises(ValueError, match="bars are 1h, state is 5m"):
        advance_columns(
            state, "SYN", "1h", columns, np.empty(10, dtype=np.int64), np.empty((10, len(SEED.names)))
        )
    assert state.last_ts is None


def test_a_series_own_columns_into_a_larger_buffer_give_what_advance_returns(make_bars):
    bars = make_bars(warmup_bars(SEED) + 50, seed=5)
    a, b = new_state(SEED, "5m"), new_state(SEED, "5m")
    out_ts = np.zeros(len(bars) + 3, dtype=np.int64)
    out = np.zeros((len(bars) + 3, len(SEED.names)))
    m = advance_columns(a, "SYN", "5m", Bars.from_messages(bars.to_messages()).columns(), out_ts, out)
    expected = advance(b, bars)
    assert m == len(expected)
    assert np.array_equal(out_ts[:m], expected.ts)
    assert np.array_equal(out[:m], expected.values)
    assert a.to_bytes() == b.to_bytes()
