"""`candlecast train --data FILE | --snapshot DIR`: the trainer's pipeline without Redis.

Added to the `candlecast` CLI through the trainer's `candlecast.commands` entry point.
Writes `OUT/{version}/` (card.json, model files, plots) and prints the holdout summary.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from candlecast.shared.adapters.barfile import read_bar_file
from candlecast.shared.adapters.snapshots import SnapshotError, read_snapshot
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.features import get_feature_set
from candlecast.shared.core.forecast import MAX_STEPS
from candlecast.shared.core.messages import MAX_HORIZON, MAX_TRIALS
from candlecast.trainer.card import Source
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.forecast_config import ForecastConfig
from candlecast.trainer.offline import train_offline
from candlecast.trainer.settings import TrainerSettings
from candlecast.trainer.trial_bar import TrialBar


def read_series(data: Path | None, snapshot: Path | None, timeframe: str | None) -> tuple[list[Bars], Source]:
    if (data is None) == (snapshot is None):
        raise typer.BadParameter("give exactly one of --data FILE or --snapshot DIR")
    if snapshot is not None:
        try:
            manifest, series = read_snapshot(snapshot)
        except SnapshotError as exc:
            raise typer.BadParameter(str(exc)) from None
        return series, Source("snapshot", manifest.id)
    assert data is not None
    return read_bar_file(data, timeframe or TrainerSettings().timeframe), Source("file")


def one_timeframe(series: list[Bars], timeframe: str | None) -> tuple[list[Bars], str]:
    found = sorted({s.timeframe for s in series})
    if timeframe is None and len(found) != 1:
        raise typer.BadParameter(f"the bars hold timeframes {found}: choose one with --timeframe")
    chosen = timeframe or found[0]
    kept = [s for s in series if s.timeframe == chosen and len(s)]
    if not kept:
        raise typer.BadParameter(f"no {chosen} bars (found {found})")
    return kept, chosen


def summary(card: ModelCard, folder: Path) -> str:
    m, base, cal, gate = card.metrics, card.baselines.base_rate, card.calibration, card.gate
    auc = "n/a" if m.auc_roc is None else f"{m.auc_roc:.4f}"
    return "\n".join(
        [
            f"wrote {folder}: card.json, {len(card.plots)} plots ({', '.join(card.plots)})",
            f"holdout rows {m.rows}: AUC {auc}, log loss {m.log_loss:.6f}",
            f"base rate log loss {base.log_loss:.6f} (skill {base.log_loss_skill:+.5f})",
            f"ECE before {cal.ece_before:.4f} -> after {cal.ece_after:.4f} ({cal.method})",
            f"gate vs base rate: {gate.decision}: {gate.reason}",
            *forecast_summary(card),
        ]
    )


def forecast_summary(card: ModelCard) -> list[str]:
    """One line on the path forecaster's holdout scores, if it has one."""
    f = card.forecast
    if f is None:
        return []
    first, last = f.per_step[0], f.per_step[-1]
    ratios = [r.crps / r.crps_baseline_hist_vol for r in f.per_step if r.crps_baseline_hist_vol > 0]
    crps = f"CRPS / hist-vol {min(ratios):.3f}-{max(ratios):.3f}" if ratios else "CRPS n/a"
    gate = "passed" if f.gate.passed else "failed: " + "; ".join(f.gate.failures)
    c1, cn = first.coverage["0.8"], last.coverage["0.8"]
    covers = f"80% band covers {c1:.3f} at step 1, {cn:.3f} at step {last.step}"
    return [f"forecast {f.steps} steps: {covers}; {crps}; forecast gate {gate}"]


def train_config(settings: TrainerSettings, trials: int, forecast_steps: int | None) -> TrainConfig:
    """The settings' run knobs with the command line's trials and forecast steps."""
    config = replace(settings.train_config(), trials=trials)
    if forecast_steps is None:
        return config
    if forecast_steps == 0:
        return replace(config, forecast=None)
    return replace(config, forecast=replace(config.forecast or ForecastConfig(), steps=forecast_steps))


def train_command(
    data: Annotated[Path | None, typer.Option(help="Parquet/CSV bar file")] = None,
    snapshot: Annotated[Path | None, typer.Option(help="snapshot directory")] = None,
    timeframe: Annotated[str | None, typer.Option(help="timeframe to train on")] = None,
    trials: Annotated[int, typer.Option(min=1, max=MAX_TRIALS, help="Optuna trials")] = 200,
    horizon: Annotated[int, typer.Option(min=1, max=MAX_HORIZON, help="label horizon in bars")] = 1,
    out: Annotated[Path, typer.Option(help="folder for {version}/card.json and plots")] = Path("models"),
    forecast_steps: Annotated[
        int | None,
        typer.Option(min=0, max=MAX_STEPS, help="forecast bars ahead (0: no forecaster; default: settings)"),
    ] = None,
    study: Annotated[
        str | None,
        typer.Option(help="Optuna study name (with CANDLECAST_OPTUNA_STORAGE, runs naming it share it)"),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Train, calibrate and gate a model offline (no Redis); write its card and plots."""
    series, source = read_series(data, snapshot, timeframe)
    series, chosen = one_timeframe(series, timeframe)
    settings = TrainerSettings()
    config = replace(train_config(settings, trials, forecast_steps), study_name=study)
    bar = TrialBar(quiet=quiet)
    try:
        card, folder = train_offline(
            series, horizon=horizon, timeframe=chosen, out=out, config=config, source=source,
            feature_set=get_feature_set(settings.feature_set),
            progress=bar,
        )  # fmt: skip
    finally:
        bar.close()
    typer.echo(summary(card, folder))


def add_train(app: typer.Typer) -> None:
    app.command("train")(train_command)
