"""One retrain command, start to finish. I/O comes in as ports; runs in a worker thread."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from candlecast.shared.adapters.snapshots import read_snapshot
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.features import FeatureSet
from candlecast.shared.core.messages import ModelPromoted, ModelRejected, RetrainModel
from candlecast.shared.core.ports import BarReader, Clock, ModelIntegrityError, Registry, Timer
from candlecast.shared.core.scoring import ece, log_loss, roc_auc
from candlecast.trainer.card import Source
from candlecast.trainer.challenge import Champion
from candlecast.trainer.champion import promoted
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.evaluate import Context, finish
from candlecast.trainer.pipeline import Trained, train


class NoDataError(ValueError):
    """Nothing to train on."""


class TrainerStore(Registry, Protocol):
    def folder(self, version: str) -> Path: ...


class Report(Protocol):
    """Where a run tells what it is doing: a stage, or a finished tuning trial."""

    def stage(self, stage: str, detail: str) -> None: ...
    def trial(self, trial: int, trials: int, best_value: float | None) -> None: ...


def load_series(reader: BarReader, command: RetrainModel) -> tuple[list[Bars], Source]:
    """The command's series from its snapshot (checksums verified) or from the bar store."""
    if command.snapshot:
        manifest, series = read_snapshot(Path(command.snapshot))
        if manifest.timeframe != command.timeframe:
            raise NoDataError(
                f"snapshot {manifest.id} holds {manifest.timeframe} bars, not {command.timeframe}"
            )
        source = Source("snapshot", manifest.id)
    else:
        wanted = set(command.symbols)
        pairs = [p for p in reader.series(command.timeframe) if not wanted or p[0] in wanted]
        series, source = [reader.read(s, tf) for s, tf in sorted(pairs)], Source("store")
    wanted = set(command.symbols)
    series = [s for s in series if len(s) and (not wanted or s.symbol in wanted)]
    if not series:
        raise NoDataError(f"no {command.timeframe} bars for {command.symbols or 'any symbol'}")
    return series, source


def current_champion(store: Registry) -> tuple[Champion | None, str]:
    """The champion to beat, or None (and why, when one exists but cannot be read)."""
    version = store.champion()
    if version is None:
        return None, ""
    try:
        model, card = store.load(version)
    except (ModelIntegrityError, KeyError) as exc:
        return None, f"champion {version} could not be loaded ({exc}); the base rate is the bar"
    return Champion(model, card), ""


def retrain(
    command: RetrainModel,
    reader: BarReader,
    store: TrainerStore,
    feature_set: FeatureSet,
    config: TrainConfig,
    report: Report,
    clock: Clock,
    timer: Timer,
) -> ModelPromoted | ModelRejected:
    """Dataset, tune, fit, calibrate, gate, save; promote when the gate (or `force`) allows it."""
    done = already_promoted(store, command.request_id)
    if done is not None:  # redelivered after the promotion but before its event went out
        report.stage("promote", f"{done.version} was already promoted for this request")
        return promoted(done, command.request_id)
    report.stage("dataset", "reading the snapshot" if command.snapshot else "reading the bar store")
    series, source = load_series(reader, command)
    symbols = ", ".join(s.symbol for s in series)
    report.stage("tune", f"{sum(len(s) for s in series)} bars of {symbols}, {command.trials} trials")
    # a redelivered command (its trainer died) resumes the same study when the journal is shared
    study = config.study_name or f"retrain-{command.request_id}"
    config = replace(config, trials=command.trials, study_name=study)
    trained = train(series, feature_set, command.horizon, command.timeframe, config, report.trial)
    report.stage("evaluate", holdout_scores(trained))
    champion, note = current_champion(store)
    version = store.new_version(clock())
    notes = (f"request {command.request_id}", *([note] if note else []))
    context = Context(source, clock(), command.request_id, command.force, notes)
    draft = finish(trained, series, config, champion, context, store.folder(version), timer)
    card = store.save(version, trained.model, draft)
    report.stage("gate", f"{version}: {card.gate.decision}: {card.gate.reason}")
    if card.gate.decision == "rejected":
        return ModelRejected(request_id=command.request_id, version=version, reason=card.gate.reason)
    store.promote(version, action="train", request_id=command.request_id)
    report.stage("promote", f"{version} is the champion ({card.gate.decision})")
    return promoted(card, command.request_id)


def holdout_scores(trained: Trained) -> str:
    y, p = trained.y_holdout, trained.p
    base = log_loss(y, np.full_like(y, trained.base_rate))
    return (
        f"holdout log loss {log_loss(y, p):.5f} vs base rate {base:.5f}, AUC {roc_auc(y, p):.4f}, "
        f"ECE {ece(y, trained.p_raw):.4f} -> {ece(y, p):.4f}"
    )


def already_promoted(store: Registry, request_id: str) -> ModelCard | None:
    champion = store.champion()
    if champion is None:
        return None
    card = store.card(champion)
    return card if card.request_id == request_id else None
