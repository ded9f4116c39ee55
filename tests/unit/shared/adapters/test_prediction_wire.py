"""The predictor's fast PredictionMade JSON is byte for byte what pydantic writes, on random batches."""

from __future__ import annotations

import numpy as np
import pytest

from candlecast.shared.adapters.prediction_wire import encode_predictions
from candlecast.shared.core.messages import FeaturesComputed, PredictionMade
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.serving import Served, predict_batch
from tests.support.forecasters import random_forecaster
from tests.support.models import FS, FakeBooster
from tests.support.predictions import messages

SYMBOLS = ("BTCUSDT", "BTC-USDT:PERP", "eth.usd", "x")  # all of Symbol's charset


def random_rows(n: int, seed: int) -> list[FeaturesComputed]:
    rng = np.random.default_rng(seed)
    return [
        FeaturesComputed(
            symbol=SYMBOLS[i % len(SYMBOLS)], timeframe=("1m", "5m", "4h")[i % 3],
            ts=int(rng.integers(0, 2**41)), feature_set=FS, close=float(rng.lognormal(0, 6)),
            values=[float(rng.uniform(-0.6, 0.6)), float(rng.lognormal(-6, 2))],
        )
        for i in range(n)
    ]  # fmt: skip


def served(steps: int | None, seed: int) -> Served:
    f = None if steps is None else random_forecaster(steps, seed=seed)
    return Served(UpModel(FakeBooster(), ("f1", "f2"), FS, 3, "5m", forecaster=f), f"v{seed}")


# steps (None: no forecaster), rows, seed
CASES = [(None, 9, 0), (1, 5, 1), (12, 64, 2), (12, 1, 3), (300, 4, 4)]


@pytest.mark.parametrize(("steps", "n", "seed"), CASES)
def test_fast_json_equals_model_dump_json_and_validates(steps, n, seed) -> None:
    batch = predict_batch(served(steps, seed), random_rows(n, seed), produced_at=1_771_000_000_123)
    wire = encode_predictions(batch)
    expected = messages(batch)
    assert len(wire) == n
    for data, message in zip(wire, expected, strict=True):
        assert data == message.model_dump_json().encode()
        assert PredictionMade.model_validate_json(data).model_dump() == message.model_dump()
        assert len(message.forecast) == (steps or 0)


def test_an_empty_batch_encodes_to_nothing() -> None:
    assert encode_predictions(predict_batch(served(12, 0), [], produced_at=0)) == []
