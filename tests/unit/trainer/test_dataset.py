from dataclasses import replace

import numpy as np
import pytest

from candlecast.shared.core.features import SEED, FeatureSet, compute
from candlecast.trainer.dataset import build_dataset


def test_rows_are_pooled_sorted_and_labelled_from_the_future(make_walk):
    a, b = make_walk("AAA", 600, seed=1), make_walk("BBB", 500, seed=2)
    b = b.take(np.arange(50, 500))  # starts later: pooled rows interleave
    data = build_dataset([a, b], SEED, horizon=3)
    rows_a, rows_b = compute(a, SEED), compute(b, SEED)
    assert len(data) == len(rows_a) - 3 + len(rows_b) - 3  # the unlabelled tail is dropped
    assert (np.diff(data.ts) >= 0).all()
    assert data.symbols == ("AAA", "BBB")
    assert data.feature_names == SEED.names
    for i in np.random.default_rng(0).choice(len(data), 50, replace=False):
        bars = (a, b)[data.symbol[i]]
        t = int(np.searchsorted(bars.ts, data.ts[i]))
        assert data.y[i] == float(bars.close[t + 3] > bars.close[t])
        assert data.ret[i] == pytest.approx(np.log(bars.close[t + 3] / bars.close[t]))
        assert data.y[i] == float(data.ret[i] > 0)
        rows = (rows_a, rows_b)[data.symbol[i]]
        np.testing.assert_array_equal(data.X[i], rows.values[rows.ts == data.ts[i]][0])


def test_same_ts_rows_keep_symbol_order(make_walk):
    data = build_dataset([make_walk("AAA", 300, 1), make_walk("BBB", 300, 2)], SEED, horizon=1)
    same = data.ts[:-1] == data.ts[1:]
    assert same.any()
    assert (data.symbol[:-1][same] < data.symbol[1:][same]).all()


def test_label_named_feature_is_refused(make_walk):
    leaky = FeatureSet("leaky", 1, (replace(SEED.specs[1], name="label_up_h1"),))
    with pytest.raises(ValueError, match="label"):
        build_dataset([make_walk("AAA", 300, 1)], leaky, horizon=1)
