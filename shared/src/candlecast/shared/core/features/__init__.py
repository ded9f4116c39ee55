"""The feature engine: one compiled kernel, an online and a batch driver.

`advance(state, bars)` (streaming, any chunk size) and `compute(bars)` (batch)
run the same compiled `kernel.run`, so their rows are bit-identical.

Policies:
- No lookahead: the row of bar t reads bars <= t only. Higher-timeframe (HTF)
  bars (3x and 12x the base timeframe) are aligned to wall-clock boundaries
  (ts % htf_ms) and read only once closed: when the base bar ending at the
  boundary has closed, or a bar of a later period arrives.
- Warm-up: a row is emitted only when every window of the set is full, HTF ones
  included (`warmup_bars`); rows are emitted for input bars only.
- Gaps: up to `MAX_FILL_BARS` missing bars are filled with flat bars (o=h=l=c=
  previous close, volume 0) that update the state but emit nothing; a longer
  gap resets the state and warm-up starts again. Same rule online and in batch.
- Finite values: zero denominators fall back to fixed values (z-score 0, %B 0.5,
  stochastic and RSI 50, ratios 1, range-normalised shapes 0 or 0.5).
- Stability: O(1) amortised work and bounded state per bar. Rolling mean/std
  use sliding Welford updates on values shifted by a reference (deviations
  stay exact, no catastrophic cancellation), recomputed exactly from the ring
  buffer every `window` bars and whenever the variance falls 1e4-fold below
  its peak (triggers depend on the state's own bar counter and values, never
  on chunk boundaries). Min/max use monotonic deques; EMAs and Wilder averages
  are recursive; HTF windows are recomputed exactly at each HTF close. Std is
  the population std (ddof 0).
- The kernel's maths is versioned (`ENGINE_VERSION`), which is part of every
  `FeatureSet.hash`.
- numba caches the compiled kernel on disk. Importing this package touches no
  file: the edges that compile it call `adapters.numba_cache.clear_stale_cache`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from candlecast.shared.core.features.catalog import CORE, DEFAULT, SEED, get_feature_set, warmup_bars
from candlecast.shared.core.features.layout import ENGINE_VERSION, MAX_FILL_BARS
from candlecast.shared.core.features.specs import FeatureSet, FeatureSpec
from candlecast.shared.core.features.state import FeatureState, new_state

if TYPE_CHECKING:
    from candlecast.shared.core.features.engine import FeatureRows, OutOfOrderError, advance, compute

ENGINE = frozenset({"FeatureRows", "OutOfOrderError", "advance", "compute"})


def __getattr__(name: str) -> object:
    """The engine (numba) is imported on first use: readers of feature sets and rows (the
    predictor's image has no numba) import the definitions only."""
    if name in ENGINE:
        from candlecast.shared.core.features import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CORE",
    "DEFAULT",
    "ENGINE_VERSION",
    "MAX_FILL_BARS",
    "SEED",
    "FeatureRows",
    "FeatureSet",
    "FeatureSpec",
    "FeatureState",
    "OutOfOrderError",
    "advance",
    "compute",
    "get_feature_set",
    "new_state",
    "warmup_bars",
]
