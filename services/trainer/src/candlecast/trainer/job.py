"""One retrain command, start to finish. I/O comes in as ports; runs in a worker thread."""

from __future__ import annotations

from collections.abc import Callable

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.cards import CardDraft, ModelCard
from candlecast.shared.core.features import FeatureSet
from candlecast.shared.core.messages import ModelPromoted, ModelRejected, RetrainModel, RollbackModel
from candlecast.shared.core.ports import BarReader, Clock, ModelStore
from candlecast.trainer.pipeline import Candidate, should_promote, train_candidate

Progress = Callable[[str, str], None]


class NoDataError(ValueError):
    """The bar store holds nothing to train on."""


def load_series(reader: BarReader, command: RetrainModel) -> list[Bars]:
    wanted = set(command.symbols)
    pairs = [p for p in reader.series(command.timeframe) if not wanted or p[0] in wanted]
    series = [reader.read(symbol, timeframe) for symbol, timeframe in sorted(pairs)]
    series = [s for s in series if len(s)]
    if not series:
        raise NoDataError(f"no stored {command.timeframe} bars for {command.symbols or 'any symbol'}")
    return series


def draft_card(candidate: Candidate, command: RetrainModel, symbols: tuple[str, ...], now: int) -> CardDraft:
    return CardDraft(
        created_at=now,
        feature_set=candidate.model.feature_set,
        horizon=command.horizon,
        timeframe=command.timeframe,
        symbols=symbols,
        params=candidate.params,
        metrics=candidate.metrics,
        train_start_ts=candidate.train_start_ts,
        train_end_ts=candidate.train_end_ts,
        holdout_start_ts=candidate.holdout_start_ts,
        n_features=candidate.model.n_features,
        request_id=command.request_id,
        notes=f"request {command.request_id}; fixed parameters (tuning arrives with the tuned trainer)",
    )


def retrain(
    command: RetrainModel,
    reader: BarReader,
    store: ModelStore,
    feature_set: FeatureSet,
    progress: Progress,
    clock: Clock,
) -> ModelPromoted | ModelRejected:
    """Dataset, fit, score, save; promote when the gate allows it."""
    done = already_promoted(store, command.request_id)
    if done is not None:  # redelivered after the promotion but before its event went out
        progress("promote", f"{done.version} was already promoted for this request")
        return promoted(done, command.request_id)
    progress("dataset", "reading the bar store")
    series = load_series(reader, command)
    symbols = tuple(s.symbol for s in series)
    progress(
        "fit",
        f"{sum(len(s) for s in series)} bars of {', '.join(symbols)}, horizon {command.horizon}",
    )
    candidate = train_candidate(series, feature_set, command.horizon, command.timeframe, seed=0)
    m = candidate.metrics
    progress(
        "evaluate",
        f"holdout log loss {m.log_loss:.5f} vs baseline {m.baseline_log_loss:.5f}, AUC {m.auc:.4f}",
    )
    champion = store.champion()
    version = store.new_version(clock())
    card = store.save(version, candidate.model, draft_card(candidate, command, symbols, clock()))
    ok, reason = should_promote(candidate, store.card(champion) if champion else None)
    if not ok:
        return ModelRejected(request_id=command.request_id, version=version, reason=reason)
    store.promote(version)
    progress("promote", f"{version}: {reason}")
    return promoted(card, command.request_id)


def already_promoted(store: ModelStore, request_id: str) -> ModelCard | None:
    champion = store.champion()
    if champion is None:
        return None
    card = store.card(champion)
    return card if card.request_id == request_id else None


def rollback(command: RollbackModel, store: ModelStore) -> ModelPromoted:
    """Make an earlier version champion again (its checksum is verified on promote)."""
    store.promote(command.version)
    return promoted(store.card(command.version), command.request_id)


def promoted(card: ModelCard, request_id: str) -> ModelPromoted:
    return ModelPromoted(
        request_id=request_id,
        version=card.version,
        sha256=card.sha256,
        feature_set=card.feature_set,
        horizon=card.horizon,
        metrics=card.metrics,
    )
