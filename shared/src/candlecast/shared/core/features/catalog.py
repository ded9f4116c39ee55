"""The known feature sets (SEED, CORE) and how a set maps onto the kernel's columns."""

from __future__ import annotations

import numpy as np

from candlecast.shared.core.arrays import I64
from candlecast.shared.core.features.columns import COLUMNS, INDEX, Column
from candlecast.shared.core.features.layout import HTF_MULTS
from candlecast.shared.core.features.specs import FeatureSet, FeatureSpec

# Feature names that are another name for a kernel column (one code path per formula).
ALIASES = {"ret1": "ret_1", "sma20_gap": "sma_gap_20", "sma50_gap": "sma_gap_50", "vol_z": "volume_z_20"}


def spec_of(column: Column, name: str | None = None) -> FeatureSpec:
    return FeatureSpec(
        name or column.name, column.inputs, column.windows, column.category, column.description
    )


SEED = FeatureSet(
    "seed",
    1,
    (spec_of(COLUMNS[INDEX["close"]]), *(spec_of(COLUMNS[INDEX[ALIASES[a]]], a) for a in ALIASES)),
)
CORE = FeatureSet("core", 1, tuple(spec_of(c) for c in COLUMNS if c.name != "close"))
DEFAULT = CORE
FEATURE_SETS = {s.name: s for s in (SEED, CORE)}


def get_feature_set(name: str) -> FeatureSet:
    try:
        return FEATURE_SETS[name]
    except KeyError:
        raise ValueError(f"unknown feature set {name!r}; known: {sorted(FEATURE_SETS)}") from None


def columns_of(feature_set: FeatureSet) -> I64:
    """Kernel column of each feature, in the set's order."""
    unknown = [n for n in feature_set.names if ALIASES.get(n, n) not in INDEX]
    if unknown:
        raise ValueError(f"no kernel column for features {unknown}")
    return np.array([INDEX[ALIASES.get(n, n)] for n in feature_set.names], dtype=np.int64)


def needs_of(feature_set: FeatureSet) -> I64:
    """Bars each window needs before a row is emitted: base bars, then closed bars per HTF."""
    need = np.zeros(1 + len(HTF_MULTS), dtype=np.int64)
    for i in columns_of(feature_set).tolist():
        column = COLUMNS[i]
        need = np.maximum(need, [column.need_bars, *column.need_htf])
    return need


def warmup_bars(feature_set: FeatureSet) -> int:
    """Contiguous base bars after which the first row is emitted (at most)."""
    need: list[int] = needs_of(feature_set).tolist()
    return max(need[0], *(n * m for n, m in zip(need[1:], HTF_MULTS, strict=True)))
