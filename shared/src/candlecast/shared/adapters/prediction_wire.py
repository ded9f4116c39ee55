"""PredictionMade JSON straight from a batch's columns, without a pydantic object per step.

Building 12 `OhlcStep` models per row (36 objects with their bands) cost ~0.5 ms a row and
fed the garbage collector. Here orjson formats a chunk's prices in one call and its forecast
timestamps in another; numpy has put the prices in document order, so 13 strided list
assignments interleave the two, and each row is then one `%` of a cached template holding
everything else (every key, the model's version and the horizon). The bytes are exactly what
`PredictionMade.model_dump_json()` writes for the same values (unit tests check it on random
batches and on arbitrary columns), so readers see the same plain JSON document in `__data__`.

Nearly all of the time is per value (~25 ns each to format, to split into a token and to fill
its slot: ~14 us a 12-step row); chunks of 64 rows keep the tokens in the CPU's cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache, lru_cache

import numpy as np
import orjson

from candlecast.shared.core.forecast import FIELDS
from candlecast.shared.core.messages import SCHEMA_VERSION
from candlecast.shared.core.serving import Predictions

NUMPY = orjson.OPT_SERIALIZE_NUMPY
PRICES = 12  # open, high, low and close at the median, lower and upper level
WIDTH = PRICES + 1  # values a step: its ts, then the prices
CHUNK = 64  # rows whose numbers are split at once: the tokens of more fall out of the CPU's cache


def _step_keys() -> tuple[bytes, ...]:
    """The JSON around each value of one step, in OhlcStep's field order."""
    median = [f',"{name}":' for name in FIELDS]
    band = [f'"{name}":' if i == 0 else f',"{name}":' for i, name in enumerate(FIELDS)]
    keys = ['{"ts":', *median, ',"lower":{' + band[0], *band[1:], '},"upper":{' + band[0], *band[1:]]
    return tuple(key.encode() for key in keys)


STEP_KEYS = _step_keys()
STEP_END = b"}}"


@cache
def _forecast(steps: int) -> bytes:
    """One row's forecast list with a %b slot per value (built once per path length)."""
    step = b"".join(key + b"%b" for key in STEP_KEYS) + STEP_END
    return b"[" + b",".join([step] * steps) + b"]"


@lru_cache(maxsize=16)
def _row_template(model_version: str, horizon: int, steps: int) -> bytes:
    """One row's document with a slot per value: symbol, timeframe, ts, P(up), the forecast's, produced_at."""
    version = orjson.dumps(model_version).replace(b"%", b"%%")
    return b"".join(
        (
            b'{"schema_version":%d,"symbol":%%b,"timeframe":%%b,"ts":%%d,' % SCHEMA_VERSION,
            b'"horizon":%d,"prob_up":%%b,"forecast":%b,' % (horizon, _forecast(steps)),
            b'"model_version":%b,"produced_at":%%d}' % version,
        )
    )


def _tokens(values: np.ndarray) -> list[bytes]:
    """Each value of an array, in C order, as its JSON text (one orjson call)."""
    return orjson.dumps(values.reshape(-1), option=NUMPY)[1:-1].split(b",") if values.size else []


_quoted = lru_cache(maxsize=4_096)(orjson.dumps)  # a symbol or timeframe as a JSON string


def _heads(batch: Predictions) -> Iterator[tuple[bytes, bytes, int, bytes]]:
    """Each row's symbol and timeframe as JSON, its ts, and its P(up) as JSON."""
    rows = batch.rows
    return zip(
        [_quoted(row.symbol) for row in rows],
        [_quoted(row.timeframe) for row in rows],
        [row.ts for row in rows],
        _tokens(np.asarray(batch.prob_up, dtype=np.float64)),
        strict=True,
    )


def _forecast_slots(prices: np.ndarray, ts: np.ndarray) -> list[bytes]:
    """Rows' forecast values, step after step: its ts, then the 12 prices (`prices` is (n, steps, 12))."""
    floats = _tokens(prices)
    slots: list[bytes] = [b""] * (len(floats) // PRICES * WIDTH)
    slots[0::WIDTH] = _tokens(ts)
    for k in range(PRICES):
        slots[k + 1 :: WIDTH] = floats[k::PRICES]
    return slots


def encode_predictions(batch: Predictions) -> list[bytes]:
    """Each row's PredictionMade document, byte for byte what `model_dump_json` gives."""
    paths, at = batch.paths, batch.produced_at
    steps = 0 if paths is None else paths.ts.shape[1]
    template, heads = _row_template(batch.model_version, batch.horizon, steps), _heads(batch)
    if paths is None or steps == 0:
        return [template % (*head, at) for head in heads]
    prices = np.concatenate(
        [paths.median, paths.lower, paths.upper], axis=2, dtype=np.float64
    )  # (n, steps, 12)
    width, out = steps * WIDTH, []
    for start in range(0, len(batch.rows), CHUNK):
        values = _forecast_slots(prices[start : start + CHUNK], paths.ts[start : start + CHUNK])
        out += [
            template % (*head, *values[i : i + width], at)
            for i, head in zip(range(0, len(values), width), heads, strict=False)
        ]
    return out
