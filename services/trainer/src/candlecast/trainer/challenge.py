"""The promotion gate, wired: challenger and champion scored on the same rows neither trained on.

Those rows are the challenger's holdout from the champion's last training label on. A champion
with another feature set is fed rows of its own feature set; one with another horizon or
timeframe predicts a different label, so the challenger then faces the base rate only (and the
reason says so), as it does with no champion at all. The required gain is never below the
noise of the rows it is measured on (`noise_margin`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from candlecast.shared.core.arrays import F64, Index
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.card_sections import GateInfo
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.features import get_feature_set
from candlecast.shared.core.model import UpModel
from candlecast.trainer.dataset import build_dataset
from candlecast.trainer.gate import decide
from candlecast.trainer.pipeline import Trained

NOISE_SE = 2.0  # standard errors a gain must exceed


@dataclass(frozen=True, slots=True)
class Champion:
    model: UpModel
    card: ModelCard


@dataclass(frozen=True, slots=True)
class Opponent:
    """What the challenger faces on `rows` (positions into the dataset): a champion's P(up) or nothing."""

    rows: Index
    p: F64 | None
    version: str | None
    note: str


def shared_rows(trained: Trained, card: ModelCard) -> Index:
    """Holdout rows after the champion's last training label (its train end + embargo)."""
    ts = trained.data.ts[trained.holdout]
    seen_until = card.train.end_ts + max(card.leakage_checks.embargo_ms, trained.embargo_ms)
    return trained.holdout[ts > seen_until]


def champion_p(
    trained: Trained, series: Sequence[Bars], champion: Champion, rows: Index
) -> tuple[Index, F64]:
    """The champion's P(up) on `rows` (those it has features for), computed with its own feature set."""
    data = trained.data
    if champion.model.feature_set == trained.model.feature_set:
        return rows, champion.model.predict_proba(data.X[rows])
    feature_set = get_feature_set(champion.model.feature_set.name)
    if feature_set.id != champion.model.feature_set:
        raise ValueError(f"feature set {champion.model.feature_set} is not known here")
    theirs = build_dataset(series, feature_set, trained.model.horizon)
    names = np.asarray(theirs.symbols)[theirs.symbol]
    keys = {(s, t): i for i, (s, t) in enumerate(zip(names.tolist(), theirs.ts.tolist(), strict=True))}
    ours = np.asarray(data.symbols)[data.symbol[rows]].tolist()
    found = [keys.get((s, t), -1) for s, t in zip(ours, data.ts[rows].tolist(), strict=True)]
    at = np.asarray(found, dtype=np.int64)
    return rows[at >= 0], champion.model.predict_proba(theirs.X[at[at >= 0]])


def opponent(trained: Trained, series: Sequence[Bars], champion: Champion | None) -> Opponent:
    if champion is None:
        return Opponent(trained.holdout, None, None, "")
    version, model = champion.card.version, champion.model
    if (model.horizon, model.timeframe) != (trained.model.horizon, trained.model.timeframe):
        note = f"champion {version} predicts {model.horizon} x {model.timeframe}: base rate only"
        return Opponent(trained.holdout, None, None, note)
    rows = shared_rows(trained, champion.card)
    try:
        rows, p = champion_p(trained, series, champion, rows)
    except ValueError as exc:
        return Opponent(trained.holdout, None, None, f"champion {version} cannot be scored here ({exc})")
    if rows.shape[0] == 0:
        return Opponent(rows, None, version, f"no holdout row is unseen by champion {version}")
    return Opponent(rows, p, version, "")


def noise_margin(y: F64, p: F64, base_rate: float, horizon: int) -> float:
    """Two standard errors of the mean per-row log-loss gain over the base rate.

    Labels of neighbouring rows overlap by up to `horizon` bars, so the plain standard error is
    widened by sqrt(horizon). A gain smaller than this is what a random walk shows by chance.
    """
    q = np.clip(p, 1e-15, 1.0 - 1e-15)
    ours = -(y * np.log(q) + (1.0 - y) * np.log1p(-q))
    base = -(y * np.log(base_rate) + (1.0 - y) * np.log1p(-base_rate))
    if y.shape[0] < 2:
        return float("inf")
    return float(NOISE_SE * np.std(base - ours, ddof=1) / np.sqrt(y.shape[0]) * np.sqrt(horizon))


def gate(
    trained: Trained, series: Sequence[Bars], champion: Champion | None, margin: float, force: bool
) -> GateInfo:
    """`gate.decide` on the shared rows; a champion that cannot be compared on any row blocks promotion.

    The margin used is the larger of `margin` and the noise margin of these rows.
    """
    against = opponent(trained, series, champion)
    if against.rows.shape[0] == 0:
        return _incomparable(trained, against, margin, force)
    position = np.searchsorted(trained.holdout, against.rows)
    y, p = trained.data.y[against.rows], trained.p[position]
    margin = max(margin, noise_margin(y, p, trained.base_rate, trained.model.horizon))
    info = decide(
        y, p, against.p, against.version, trained.base_rate, margin,
        start_ts=int(trained.data.ts[against.rows].min()), force=force,
    )  # fmt: skip
    if not against.note:
        return info
    return info.model_copy(update={"reason": f"{info.reason} ({against.note})"})


def _incomparable(trained: Trained, against: Opponent, margin: float, force: bool) -> GateInfo:
    reason = f"{against.note}: the challenger cannot be compared with it"
    return GateInfo(
        decision="forced" if force else "rejected",
        reason=("forced despite: " if force else "") + reason,
        margin=margin,
        rows=0,
        start_ts=trained.holdout_start_ts,
        challenger_log_loss=float("nan"),
        base_rate_log_loss=float("nan"),
        champion_version=against.version,
        champion_log_loss=None,
    )
