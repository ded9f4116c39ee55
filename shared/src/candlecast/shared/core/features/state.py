"""Per-series kernel state: four flat arrays, checkpointed to bytes exactly."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.features import layout
from candlecast.shared.core.features.catalog import columns_of, get_feature_set, needs_of
from candlecast.shared.core.features.specs import FeatureSet
from candlecast.shared.core.timeframes import timeframe_ms

MAGIC = b"CCFS"
_HEADER_LEN = struct.Struct("<I")
_SHAPES = {
    "fl": ("<f8", (layout.N_FL,)),
    "it": ("<i8", (layout.N_IT,)),
    "ring": ("<f8", (layout.N_SER, layout.RING_CAP)),
    "deq": ("<i8", (layout.N_DQ, layout.RING_CAP)),
}


@dataclass(eq=False, slots=True)
class FeatureState:
    """One series' state. Mutated in place by `advance`; use `to_bytes` to checkpoint it."""

    feature_set: FeatureSet
    timeframe: str
    fl: F64
    it: I64
    ring: F64
    deq: I64
    sel: I64
    need: I64
    tf_ms: int

    @property
    def last_ts(self) -> int | None:
        """Open ts of the last bar absorbed, None before the first."""
        return int(self.it[layout.I_LAST_TS]) if self.it[layout.I_SEEN] > 0 else None

    def to_bytes(self) -> bytes:
        header = {
            "engine": layout.ENGINE_VERSION,
            "feature_set": self.feature_set.name,
            "hash": self.feature_set.hash,
            "timeframe": self.timeframe,
        }
        text = json.dumps(header, sort_keys=True).encode()
        arrays = (self.fl, self.it, self.ring, self.deq)
        body = b"".join(
            a.astype(_SHAPES[k][0], copy=False).tobytes() for k, a in zip(_SHAPES, arrays, strict=True)
        )
        return MAGIC + _HEADER_LEN.pack(len(text)) + text + body

    @classmethod
    def from_bytes(
        cls, data: bytes, feature_set: FeatureSet | None = None, timeframe: str | None = None
    ) -> FeatureState:
        """Exact inverse of `to_bytes`; ValueError if it was written for other definitions."""
        if data[:4] != MAGIC:
            raise ValueError("not a feature state checkpoint")
        (size,) = _HEADER_LEN.unpack_from(data, 4)
        header = json.loads(data[8 : 8 + size])
        expected = feature_set or get_feature_set(header["feature_set"])
        if header["hash"] != expected.hash or header["engine"] != layout.ENGINE_VERSION:
            raise ValueError(f"checkpoint is for feature set hash {header['hash']}, not {expected.hash}")
        if timeframe is not None and header["timeframe"] != timeframe:
            raise ValueError(f"checkpoint is for timeframe {header['timeframe']}, not {timeframe}")
        state = new_state(expected, header["timeframe"])
        offset = 8 + size
        for key, (dtype, shape) in _SHAPES.items():
            count = int(np.prod(shape))
            values = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape)
            getattr(state, key)[...] = values
            offset += values.nbytes
        if offset != len(data):
            raise ValueError("feature state checkpoint has the wrong size")
        return state


def new_state(feature_set: FeatureSet, timeframe: str) -> FeatureState:
    """A fresh state: the first rows come after `warmup_bars(feature_set)` bars."""
    return FeatureState(
        feature_set=feature_set,
        timeframe=timeframe,
        fl=np.zeros(_SHAPES["fl"][1], dtype=np.float64),
        it=np.zeros(_SHAPES["it"][1], dtype=np.int64),
        ring=np.zeros(_SHAPES["ring"][1], dtype=np.float64),
        deq=np.zeros(_SHAPES["deq"][1], dtype=np.int64),
        sel=columns_of(feature_set),
        need=needs_of(feature_set),
        tf_ms=timeframe_ms(timeframe),
    )
