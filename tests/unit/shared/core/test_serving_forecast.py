"""predict (the pydantic reference) with a forecaster: H coherent steps, one bar apart, inside their bands."""

from __future__ import annotations

import numpy as np
import pytest

from candlecast.shared.core.messages import MAX_TS_MS, FeaturesComputed, OhlcBand, OhlcStep
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.serving import Served, predict_batch
from tests.support.forecasters import random_forecaster
from tests.support.models import FS, FakeBooster
from tests.support.predictions import predict

BAR_MS = 300_000


def served(steps: int) -> Served:
    model = UpModel(FakeBooster(), ("f1", "f2"), FS, 1, "5m", forecaster=random_forecaster(steps))
    return Served(model, "v1")


def rows(n: int, seed: int = 3, ts0: int = 1_770_000_000_000) -> list[FeaturesComputed]:
    rng = np.random.default_rng(seed)
    return [
        FeaturesComputed(
            symbol="AAA", timeframe="5m", ts=ts0 + i * BAR_MS, feature_set=FS,
            close=float(rng.uniform(50, 5e4)),
            values=[float(rng.uniform(-0.2, 0.2)), float(rng.lognormal(-6, 1))],
        )
        for i in range(n)
    ]  # fmt: skip


def prices(p: OhlcStep | OhlcBand) -> tuple[float, float, float, float]:
    return p.open, p.high, p.low, p.close


@pytest.mark.parametrize("steps", [1, 12, 300])
def test_every_prediction_carries_steps_one_bar_apart_after_its_row(steps) -> None:
    batch = rows(7)
    out = predict(served(steps), batch, produced_at=0)
    assert len(out) == len(batch)
    for row, p in zip(batch, out, strict=True):
        assert len(p.forecast) == steps
        assert [s.ts for s in p.forecast] == [row.ts + k * BAR_MS for k in range(1, steps + 1)]


@pytest.mark.parametrize("steps", [12, 300])
def test_median_and_band_edges_are_coherent_bars_and_ordered(steps) -> None:
    for p in predict(served(steps), rows(20), produced_at=0):
        for s in p.forecast:
            assert s.lower is not None
            assert s.upper is not None
            for o, h, low, c in (prices(s), prices(s.lower), prices(s.upper)):
                assert low <= min(o, c) <= max(o, c) <= h
            for lo, mid, hi in zip(prices(s.lower), prices(s), prices(s.upper), strict=True):
                assert 0 < lo <= mid <= hi


def test_the_batch_columns_are_the_messages() -> None:
    batch = rows(5)
    columns = predict_batch(served(12), batch, produced_at=9)
    out = predict(served(12), batch, produced_at=9)
    assert columns.paths is not None
    assert columns.paths.median.shape == (5, 12, 4)
    assert [p.prob_up for p in out] == columns.prob_up.tolist()
    assert [[s.close for s in p.forecast] for p in out] == columns.paths.median[:, :, 3].tolist()


def test_a_bar_past_the_timestamp_limit_is_refused_not_published() -> None:
    late = rows(1, ts0=MAX_TS_MS - BAR_MS)
    with pytest.raises(ValueError, match="MAX_TS_MS"):
        predict_batch(served(12), late, produced_at=0)
