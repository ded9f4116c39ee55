"""PredictionMade JSON straight from a batch's columns, without a pydantic object per step.

Building 12 `OhlcStep` models per row (36 objects with their bands) cost ~0.5 ms a row and
fed the garbage collector. Here each batch's numbers are formatted by orjson in one call per
array, then placed into a fixed per-step template. The bytes are exactly what
`PredictionMade.model_dump_json()` writes for the same values (a unit test checks it on random
batches), so readers see the same plain JSON document in `__data__`.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import orjson

from candlecast.shared.core.forecast import FIELDS, PricePaths
from candlecast.shared.core.messages import SCHEMA_VERSION
from candlecast.shared.core.serving import Predictions

NUMPY = orjson.OPT_SERIALIZE_NUMPY
VALUES_PER_STEP = 13  # ts, then open, high, low and close at the median, lower and upper level


def _step_keys() -> tuple[bytes, ...]:
    """The JSON around each value of one step, in OhlcStep's field order."""
    median = [f',"{name}":' for name in FIELDS]
    band = [f'"{name}":' if i == 0 else f',"{name}":' for i, name in enumerate(FIELDS)]
    keys = ['{"ts":', *median, ',"lower":{' + band[0], *band[1:], '},"upper":{' + band[0], *band[1:]]
    return tuple(key.encode() for key in keys)


STEP_KEYS = _step_keys()
STEP_END = b"}}"


@cache
def _template(steps: int) -> bytes:
    """One row's forecast list with a %b slot per value (built once per path length)."""
    step = b"".join(key + b"%b" for key in STEP_KEYS) + STEP_END
    return b"[" + b",".join([step] * steps) + b"]"


def _numbers(values: np.ndarray) -> list[bytes]:
    """Each value of a flat array as its JSON text (one orjson call for the whole array)."""
    text = orjson.dumps(np.ascontiguousarray(values).reshape(-1), option=NUMPY)
    return text[1:-1].split(b",") if values.size else []


def path_json(paths: PricePaths) -> list[bytes]:
    """Each row's `forecast` as JSON bytes: a list of OhlcStep objects."""
    n, steps = paths.ts.shape
    prices = np.concatenate([paths.median, paths.lower, paths.upper], axis=2)  # (n, steps, 12)
    slots: list[bytes] = [b""] * (n * steps * VALUES_PER_STEP)
    slots[0::VALUES_PER_STEP] = _numbers(paths.ts)
    flat = _numbers(prices)
    for k in range(VALUES_PER_STEP - 1):
        slots[k + 1 :: VALUES_PER_STEP] = flat[k :: VALUES_PER_STEP - 1]
    template, width = _template(steps), steps * VALUES_PER_STEP
    return [template % tuple(slots[i * width : (i + 1) * width]) for i in range(n)]


def encode_predictions(batch: Predictions) -> list[bytes]:
    """Each row's PredictionMade document, byte for byte what `model_dump_json` gives."""
    n = len(batch.rows)
    paths = [b"[]"] * n if batch.paths is None else path_json(batch.paths)
    return [
        orjson.dumps(
            {
                "schema_version": SCHEMA_VERSION,
                "symbol": row.symbol,
                "timeframe": row.timeframe,
                "ts": row.ts,
                "horizon": batch.horizon,
                "prob_up": p,
                "forecast": orjson.Fragment(path),
                "model_version": batch.model_version,
                "produced_at": batch.produced_at,
            }
        )
        for row, p, path in zip(batch.rows, batch.prob_up.tolist(), paths, strict=True)
    ]
