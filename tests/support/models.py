"""Model fixtures for tests: feature-set ids, holdout scores, a card draft and a fake booster."""

from __future__ import annotations

from collections.abc import Sequence

from candlecast.shared.core.arrays import F64
from candlecast.shared.core.cards import CardDraft
from candlecast.shared.core.messages import FeatureSetId, ModelMetrics
from candlecast.shared.core.model import UpModel

FS = FeatureSetId(name="t", version=1, hash="a" * 16)
OTHER = FeatureSetId(name="t", version=2, hash="b" * 16)
METRICS = ModelMetrics(
    log_loss=0.61,
    brier=0.2,
    auc=0.7,
    ece=0.01,
    baseline_log_loss=0.69,
    baseline_brier=0.25,
    n_train=10,
    n_holdout=5,
)


class FakeBooster:
    """Hand-written stand-in for a LightGBM booster: P(up) = 0.5 + f1 - (the other features)."""

    def __init__(self, names: Sequence[str] = ("f1", "f2")) -> None:
        self.names = list(names)
        self.calls: list[F64] = []

    def feature_name(self) -> list[str]:
        return self.names

    def predict(self, X: F64) -> F64:
        self.calls.append(X)
        out: F64 = 0.5 + X[:, 0] - X[:, 1:].sum(axis=1)
        return out


def card_draft(model: UpModel, now: int, symbols: tuple[str, ...] = ("AAA",)) -> CardDraft:
    """A card that matches `model`, trained at `now`."""
    return CardDraft(
        created_at=now,
        feature_set=model.feature_set,
        horizon=model.horizon,
        timeframe=model.timeframe,
        symbols=symbols,
        params={},
        metrics=METRICS,
        train_start_ts=0,
        train_end_ts=1,
        holdout_start_ts=2,
        n_features=model.n_features,
    )
