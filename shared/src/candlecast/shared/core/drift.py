"""Feature drift: each feature's training distribution (decile bins) and the PSI of live rows against it.

PSI (population stability index) of one feature = sum over its bins of (a - e) * ln(a / e),
with e the training share of a bin and a the live share, both clipped at `EPS`. Each feature
has its quantile bins plus one bin for NaN and ±inf. Rules of thumb: < 0.1 stable, 0.1-0.25
moderate, > 0.25 a shift worth acting on. Pure: numpy in, numbers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.card_sections import DriftReference, FeatureReference

EPS = 1e-4
DECILES = 10
ROUND = 6  # decimals kept of each training share in the card


def bin_indices(edges: F64, values: F64) -> I64:
    """Each value's bin: i where edges[i-1] <= x < edges[i]; NaN and ±inf in the last bin, len(edges) + 1."""
    inside = np.searchsorted(edges, values, side="right").astype(np.int64)
    return np.where(np.isfinite(values), inside, edges.shape[0] + 1)


def feature_reference(name: str, column: F64, bins: int = DECILES) -> FeatureReference:
    """Quantile edges of the finite values (deduplicated) and the share of rows in each bin
    (as `bin_indices` bins them, counted on the sorted values: one sort per column)."""
    finite = np.sort(column[np.isfinite(column)])
    quantiles = np.arange(1, bins) / bins
    edges = np.unique(np.quantile(finite, quantiles)) if finite.size else np.empty(0)
    below = np.searchsorted(finite, edges, side="left")  # values < each edge
    counts = np.diff(below, prepend=0, append=finite.shape[0])
    shares = (np.append(counts, column.shape[0] - finite.shape[0]) / max(column.shape[0], 1)).round(ROUND)
    return FeatureReference(
        name=name, edges=edges.tolist(), fractions=shares[:-1].tolist(), nonfinite=float(shares[-1])
    )


def reference(X: F64, names: Sequence[str], bins: int = DECILES) -> DriftReference:
    """The distribution of every column of the training matrix `X` (rows, features)."""
    if X.shape[1] != len(names):
        raise ValueError(f"{X.shape[1]} columns, {len(names)} names")
    features = [feature_reference(name, X[:, j], bins) for j, name in enumerate(names)]
    return DriftReference(bins=bins, rows=int(X.shape[0]), features=features)


def expected(feature: FeatureReference) -> F64:
    """The training shares of every bin, the non-finite one last."""
    return np.array([*feature.fractions, feature.nonfinite], dtype=np.float64)


def psi(
    reference_fractions: Sequence[float] | F64, live_counts: Sequence[int] | I64, eps: float = EPS
) -> float:
    """PSI of live bin counts against the training shares of the same bins."""
    e = np.clip(np.asarray(reference_fractions, dtype=np.float64), eps, None)
    counts = np.asarray(live_counts, dtype=np.float64)
    if counts.shape != e.shape or counts.sum() <= 0:
        raise ValueError("live counts must be as many as the bins, and not all zero")
    a = np.clip(counts / counts.sum(), eps, None)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass(frozen=True, slots=True)
class FeaturePsi:
    name: str
    psi: float


class DriftWindow:
    """Bin counts of the last `capacity` live rows, per feature, kept as rows come and go.

    Each row's bin per feature is kept in a ring (rows, features); adding a batch counts its
    bins and subtracts those of the rows it pushes out, so a batch costs O(rows x features).
    """

    def __init__(self, ref: DriftReference, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a drift window holds at least one row")
        self.names = tuple(f.name for f in ref.features)
        self.edges = [np.asarray(f.edges, dtype=np.float64) for f in ref.features]
        sizes = np.array([len(f.edges) + 2 for f in ref.features], dtype=np.int64)
        self.offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self.expected = np.concatenate([expected(f) for f in ref.features])
        self.counts = np.zeros(int(sizes.sum()), dtype=np.int64)
        self.ring = np.zeros((capacity, len(self.names)), dtype=np.int64)
        self.head = 0  # where the next row goes
        self.size = 0

    @property
    def capacity(self) -> int:
        return int(self.ring.shape[0])

    def add(self, X: F64) -> None:
        """Rows (n, features) in the reference's feature order; the oldest beyond capacity drop out."""
        if X.ndim != 2 or X.shape[1] != len(self.names):
            raise ValueError(f"rows must have {len(self.names)} columns")
        slots = self._bins(X[-self.capacity :])
        k, free = slots.shape[0], self.capacity - self.size
        where = (self.head + np.arange(k)) % self.capacity
        evicted = self.ring[where[free:]]  # past the free slots, the oldest rows are overwritten
        self.counts -= np.bincount(evicted.ravel(), minlength=self.counts.shape[0])
        self.counts += np.bincount(slots.ravel(), minlength=self.counts.shape[0])
        self.ring[where] = slots
        self.head = (self.head + k) % self.capacity
        self.size = min(self.capacity, self.size + k)

    def psi(self, eps: float = EPS) -> F64:
        """PSI of each feature over the rows in the window (same as `psi` per feature)."""
        if not self.size:
            raise ValueError("no rows in the drift window")
        a = np.clip(self.counts / self.size, eps, None)
        e = np.clip(self.expected, eps, None)
        out: F64 = np.add.reduceat((a - e) * np.log(a / e), self.offsets)
        return out

    def ranked(self, eps: float = EPS) -> list[FeaturePsi]:
        """Every feature's PSI, largest first (ties by name)."""
        values = self.psi(eps).tolist()
        pairs = sorted(zip(self.names, values, strict=True), key=lambda nv: (-nv[1], nv[0]))
        return [FeaturePsi(name, value) for name, value in pairs]

    def _bins(self, X: F64) -> I64:
        columns = [bin_indices(edges, X[:, j]) for j, edges in enumerate(self.edges)]
        slots: I64 = np.stack(columns, axis=1) + self.offsets
        return slots


class Alarm:
    """Fires once when drift goes above the threshold; re-armed when it falls back to it or below."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.armed = True

    def update(self, max_psi: float) -> bool:
        """True when this reading raises the alarm."""
        above = max_psi > self.threshold
        fire = above and self.armed
        self.armed = not above
        return fire
