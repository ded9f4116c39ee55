"""One training run as a pure function: dataset, split, fit, score; then the promotion call.

Tuning (Optuna over purged walk-forward folds of the training part) will replace
`fixed_params` with tuned parameters; the final holdout stays untouched by it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from candlecast.shared.core.model import UpModel
from candlecast.shared.core.scoring import score
from candlecast.trainer.dataset import build_dataset
from candlecast.trainer.fit import fit, fixed_params
from candlecast.trainer.split import label_span_ms, time_split

if TYPE_CHECKING:
    from collections.abc import Sequence

    from candlecast.shared.core.bars import Bars
    from candlecast.shared.core.cards import ModelCard, ParamValue
    from candlecast.shared.core.features import FeatureSet
    from candlecast.shared.core.messages import ModelMetrics


@dataclass(frozen=True, slots=True)
class Candidate:
    """A fitted model, its holdout scores and what it was trained on."""

    model: UpModel
    metrics: ModelMetrics
    params: dict[str, ParamValue]
    symbols: tuple[str, ...]
    train_start_ts: int
    train_end_ts: int
    holdout_start_ts: int
    holdout_end_ts: int


def train_candidate(
    series: Sequence[Bars],
    feature_set: FeatureSet,
    horizon: int,
    timeframe: str,
    seed: int,
    holdout_fraction: float = 0.2,
) -> Candidate:
    """Fit on the older rows, score on the newest ones against the base-rate baseline."""
    wrong = [b.symbol for b in series if b.timeframe != timeframe]
    if wrong:
        raise ValueError(f"series not in timeframe {timeframe}: {wrong}")
    data = build_dataset(series, feature_set, horizon)
    span = label_span_ms(horizon, timeframe)
    split = time_split(data.ts, holdout_fraction, embargo_ms=span, label_span=span)
    params = fixed_params(seed)
    booster = fit(data.X[split.train], data.y[split.train], data.feature_names, params)
    model = UpModel(booster, data.feature_names, feature_set.id, horizon, timeframe)
    p = model.predict_proba(data.X[split.holdout])
    return Candidate(
        model=model,
        metrics=score(data.y[split.holdout], p, data.y[split.train]),
        params=params,
        symbols=data.symbols,
        train_start_ts=int(data.ts[split.train].min()),
        train_end_ts=int(data.ts[split.train].max()),
        holdout_start_ts=split.cutoff_ts,
        holdout_end_ts=int(data.ts[split.holdout].max()),
    )


def should_promote(candidate: Candidate, champion_card: ModelCard | None) -> tuple[bool, str]:
    """(promote?, why). Only broken candidates are refused for now.

    The real gate, champion and challenger scored on the same newest holdout, comes with the
    tuned trainer (ROADMAP); scores on different holdouts are not comparable.
    """
    m = candidate.metrics
    scores = (m.log_loss, m.brier, m.auc, m.ece, m.baseline_log_loss, m.baseline_brier)
    if m.n_holdout == 0 or not all(math.isfinite(s) for s in scores):
        return False, f"invalid holdout scores: {m.model_dump_json()}"
    replaces = "no champion yet" if champion_card is None else f"replaces {champion_card.version}"
    return True, f"no gate yet ({replaces}): the shared-holdout gate comes with the tuned trainer"
