"""What the demo prints about the model it trained: holdout skill against the base rate, and the gate."""

from __future__ import annotations

from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.cards import ModelCard


def card_for(store: FileModelStore, request_id: str) -> ModelCard | None:
    """The newest saved card of this retrain request (kept whether promoted or rejected)."""
    for version in reversed(store.versions()):
        card = store.card(version)
        if card.request_id == request_id:
            return card
    return None


def skill_report(card: ModelCard) -> str:
    """A few lines a newcomer can read: is the model better than always saying the base rate?"""
    m, base, cal, gate = card.metrics, card.baselines.base_rate, card.calibration, card.gate
    auc = "n/a" if m.auc_roc is None else f"{m.auc_roc:.4f}"
    skill = f"skill {base.log_loss_skill:+.4f}; > 0 beats the base rate"
    versus = f"vs base rate P(up)={base.prob_up:.3f}: {base.log_loss:.5f}"
    return "\n".join(
        [
            f"model {card.version}: holdout of {m.rows} rows the tuner never saw",
            f"  AUC {auc} (0.5 = no edge)",
            f"  log loss {m.log_loss:.5f} {versus} ({skill})",
            f"  ECE {cal.ece_before:.4f} raw -> {cal.ece_after:.4f} after {cal.method} calibration",
            f"  gate: {gate.decision}: {gate.reason}",
        ]
    )
