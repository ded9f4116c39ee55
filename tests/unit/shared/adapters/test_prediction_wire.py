"""The predictor's fast PredictionMade JSON is byte for byte what pydantic writes, on random batches."""

from __future__ import annotations

import numpy as np
import pytest

from candlecast.shared.adapters.prediction_wire import encode_predictions
from candlecast.shared.core.forecast import PricePaths
from candlecast.shared.core.messages import MAX_TS_MS, FeaturesComputed, PredictionMade
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.serving import Predictions, Served, predict_batch
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


def random_columns(n: int, steps: int | None, seed: int, version: str = "v1") -> Predictions:
    """Arbitrary columns, not a model's: any P(up) in [0, 1], prices of any sign and size, and
    timestamps from 0 to MAX_TS_MS (`steps` 0: paths of no step; None: no paths)."""
    rng = np.random.default_rng(seed)
    rows = random_rows(n, seed)
    prob = rng.choice([0.0, 1.0, 1e-6, 0.5, 1 / 3, 5e-324], n) if seed % 2 else rng.uniform(0, 1, n)
    paths = None
    if steps is not None:
        kinds = [rng.normal(0, 1, (n, steps, 4)) * 10.0 ** rng.integers(-320, 307, (n, steps, 4))]
        kinds += [rng.lognormal(3, 2, (n, steps, 4)), rng.choice(SPECIAL, (n, steps, 4))]
        median, lower, upper = (kinds[(seed + i) % 3] for i in range(3))
        ts = rng.integers(0, MAX_TS_MS + 1, (n, steps), dtype=np.int64)
        paths = PricePaths(ts=ts, median=median, lower=lower, upper=upper)
    return Predictions(
        rows, prob, paths, int(rng.integers(1, 10**6)), version, int(rng.integers(0, MAX_TS_MS))
    )


SPECIAL = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    1e16,
    1e-7,
    123456789012345678.0,
    1.7976931348623157e308,
    5e-324,
    np.nan,
    np.inf,
]


@pytest.mark.parametrize(
    ("n", "steps", "seed"),
    [
        (1, None, 0),
        (7, None, 1),
        (3, 0, 2),
        (1, 1, 3),
        (5, 2, 4),
        (64, 12, 5),
        (65, 12, 6),
        (130, 3, 7),
        (2, 300, 8),
    ],
)
def test_any_columns_encode_as_model_dump_json(n: int, steps: int | None, seed: int) -> None:
    """Chunk edges (64 rows), no step, no paths, huge, tiny, negative, signed zero and non-finite prices."""
    batch = random_columns(n, steps, seed)
    wire = encode_predictions(batch)
    assert wire == [m.model_dump_json().encode() for m in messages(batch)]


@pytest.mark.parametrize("version", ['v"1\\%d%b', "vé\u2028", "%%", "100%"])
def test_a_model_version_with_quotes_escapes_or_percent_signs_is_written_as_pydantic_writes_it(
    version: str,
) -> None:
    for steps in (None, 2):
        batch = random_columns(3, steps, 9, version)
        assert encode_predictions(batch) == [m.model_dump_json().encode() for m in messages(batch)]
