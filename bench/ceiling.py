"""The raw ceiling: the same two hops as candlecast, in plain redis-py + orjson, doing no real work.

Hop 1 reads bars (XREADGROUP 500), builds a feature row per bar in candlecast's wire shape
(122 full-precision floats as a JSON array) and writes it with a pipelined XADD + XACK.
Hop 2 reads those rows, builds a prediction of candlecast's size (P(up) and a 12-step OHLC
path with its band) and writes it to `predictions` and `predictions:{SYMBOL}` with XACK, in
one pipeline. Same streams, same MAXLEN, same bytes as the services write; no features are
computed and no model is run, so this is what Redis and JSON alone allow on this machine.
With hop2="rows", hop 2 instead writes one feature-row-sized document per row to one stream
(the issue's "the same two hops with rows of the same size"): a lighter, faster ceiling.
Run by `bench/pipeline.py` beside the services, in the same run.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from typing import cast

import numpy as np
import orjson
import redis

from candlecast.shared.adapters.prediction_wire import encode_predictions
from candlecast.shared.core.constants import DATA_FIELD, Keys
from candlecast.shared.core.features import DEFAULT
from candlecast.shared.core.forecast import PricePaths
from candlecast.shared.core.serving import Predictions

KEYS = Keys()
COUNT, BLOCK_MS, MAXLEN = 500, 100, 200_000
FIELD = DATA_FIELD.encode()
NUMPY = orjson.OPT_SERIALIZE_NUMPY
STEPS = 12


def _group(client: redis.Redis, stream: str, group: str) -> None:
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _hop(url: str, source: str, group: str, build: object, stop: Event) -> None:
    client = redis.Redis.from_url(url)
    _group(client, source, group)
    while not stop.is_set():
        reply = client.xreadgroup(group, "raw", {source: ">"}, count=COUNT, block=BLOCK_MS)
        if not reply:
            continue
        entries = cast("list[tuple[bytes, dict[bytes, bytes]]]", reply[0][1])  # type: ignore[index]
        docs = [orjson.loads(fields[FIELD]) for _, fields in entries]
        pipe = client.pipeline(transaction=False)
        for stream, data in build(docs):  # type: ignore[operator]
            pipe.xadd(stream, {FIELD: data}, maxlen=MAXLEN, approximate=True)
        pipe.xack(source, group, *[entry_id for entry_id, _ in entries])
        pipe.execute()


def feature_rows(docs: list[dict[str, object]]) -> list[tuple[str, bytes]]:
    """One array row per bar: the services' row shape, with random full-precision values."""
    values = np.random.default_rng(len(docs)).standard_normal((len(docs), len(DEFAULT.names)))
    feature_set = {"name": DEFAULT.name, "version": DEFAULT.version, "hash": DEFAULT.hash}
    return [
        (
            KEYS.features,
            orjson.dumps(
                {
                    "schema_version": 1,
                    "symbol": d["symbol"],
                    "timeframe": d["timeframe"],
                    "ts": d["ts"],
                    "feature_set": feature_set,
                    "values": row,
                    "close": d["close"],
                },
                option=NUMPY,
            ),
        )
        for d, row in zip(docs, values, strict=True)
    ]


def predictions(docs: list[dict[str, object]]) -> list[tuple[str, bytes]]:
    """One prediction per row, written to 2 streams: candlecast's bytes (P(up) and a 12-step path
    with its band), formatted by its own encoder (`prediction_wire`: orjson and a template),
    from random numbers instead of a model."""
    n = len(docs)
    rng = np.random.default_rng(n)
    ts = np.array([d["ts"] for d in docs], dtype=np.int64)
    steps = ts[:, None] + np.arange(1, STEPS + 1, dtype=np.int64) * 300_000
    paths = PricePaths(steps, *(100.0 + rng.standard_normal((3, n, STEPS, 4))))
    rows = [
        _Row(str(d["symbol"]), str(d["timeframe"]), int(t)) for d, t in zip(docs, ts.tolist(), strict=True)
    ]
    batch = Predictions(rows, rng.random(n), paths, 1, "20261123T000000000Z-raw000", int(time.time() * 1000))  # type: ignore[arg-type]
    out: list[tuple[str, bytes]] = []
    for row, data in zip(rows, encode_predictions(batch), strict=True):
        out += [(KEYS.predictions, data), (KEYS.predictions_for(row.symbol), data)]
    return out


@dataclass(frozen=True, slots=True)
class _Row:
    symbol: str
    timeframe: str
    ts: int


def rows_again(docs: list[dict[str, object]]) -> list[tuple[str, bytes]]:
    """The issue's lighter hop 2: per row, one row of the same size (122 floats) on `predictions`."""
    return [(KEYS.predictions, data) for _, data in feature_rows(docs)]


HOP2 = {"predictions": predictions, "rows": rows_again}


def start(url: str, hop2: str = "predictions") -> tuple[list[SpawnProcess], Event]:
    """Both hops as processes (like the services); set the event to stop them.
    `hop2`: "predictions" (the services' bytes) or "rows" (a feature-row-sized document)."""
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    hops = [
        ctx.Process(target=_hop, args=(url, KEYS.bars, "features", feature_rows, stop)),
        ctx.Process(target=_hop, args=(url, KEYS.features, "predictor", HOP2[hop2], stop)),
    ]
    for hop in hops:
        hop.start()
    return hops, stop


def wait_groups(client: redis.Redis) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(client.exists(k) and client.xinfo_groups(k) for k in (KEYS.bars, KEYS.features)):
            return
        time.sleep(0.05)
    raise RuntimeError("raw hops did not start")
