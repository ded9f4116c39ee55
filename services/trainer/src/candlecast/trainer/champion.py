"""Operator commands on the champion: promote a version, roll back to one or to the previous one.

They run in the trainer, so its ModelPromoted reaches every predictor like a trained promotion.
"""

from __future__ import annotations

from candlecast.shared.core.cards import ModelCard, event_metrics
from candlecast.shared.core.messages import ModelPromoted, PromoteModel, RollbackModel
from candlecast.shared.core.ports import Registry


def promoted(card: ModelCard, request_id: str) -> ModelPromoted:
    """The event that tells every predictor to load the version `card` describes."""
    return ModelPromoted(
        request_id=request_id,
        version=card.version,
        sha256=card.sha256,
        feature_set=card.feature_set.id,
        horizon=card.horizon,
        metrics=event_metrics(card),
    )


def promote(command: PromoteModel, store: Registry) -> ModelPromoted:
    """Make a saved, intact version champion (its checksum is verified first)."""
    store.promote(command.version, action="promote", request_id=command.request_id)
    return promoted(store.card(command.version), command.request_id)


def rollback(command: RollbackModel, store: Registry) -> ModelPromoted:
    """Back to the named version, or (no version) to the champion before the current one."""
    if not command.version:
        version = store.revert(command.request_id)
    else:
        version = command.version
        store.promote(version, action="rollback", request_id=command.request_id)
    return promoted(store.card(version), command.request_id)
