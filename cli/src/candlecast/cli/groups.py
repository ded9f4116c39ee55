"""The `models`, `snapshot`, `dlq` and `features` command groups (the registry, frozen training data,
dead letters, the feature library)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from candlecast.cli.context import comma_list, exit_with, settings_of

FOLLOW_S = 60.0  # promote and rollback: the trainer answers within seconds unless it is busy


def models_list(ctx: typer.Context) -> None:
    """List model versions, oldest first; * marks the champion."""
    from candlecast.cli.ops.models import list_models

    exit_with(list_models(settings_of(ctx)))


def models_show(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="a version from `models list`")],
    as_json: Annotated[bool, typer.Option("--json", help="the whole card as JSON")] = False,
) -> None:
    """Show a model's card, section by section, and the plots beside it."""
    from candlecast.cli.ops.models import show_model

    exit_with(show_model(settings_of(ctx), version, as_json))


def models_promote(ctx: typer.Context, version: Annotated[str, typer.Argument(help="version")]) -> None:
    """Make a saved version champion, through the trainer (no gate); exit 0 once it is."""
    from candlecast.cli.ops.retrain import send
    from candlecast.shared.core.messages import PromoteModel

    command = PromoteModel(version=version)
    exit_with(asyncio.run(send(settings_of(ctx), command, follow=True, wait_s=FOLLOW_S)))


def models_rollback(
    ctx: typer.Context,
    version: Annotated[str | None, typer.Argument(help="version (default: the previous champion)")] = None,
) -> None:
    """Make an earlier version champion again; without VERSION, the one before the current champion."""
    from candlecast.cli.ops.retrain import send
    from candlecast.shared.core.messages import RollbackModel

    command = RollbackModel(version=version or "")
    exit_with(asyncio.run(send(settings_of(ctx), command, follow=True, wait_s=FOLLOW_S)))


def snapshot_create(
    ctx: typer.Context,
    symbols: Annotated[list[str], typer.Option("--symbols", help="symbols, repeated or comma-separated")],
    days: Annotated[float, typer.Option(help="the newest N days the store holds", min=0.001)],
    timeframe: Annotated[str | None, typer.Option(help="bar timeframe (default: settings)")] = None,
    out: Annotated[
        Path | None, typer.Option(help="parent folder (default: $CANDLECAST_HOME/snapshots)")
    ] = None,
    feature_set: Annotated[str | None, typer.Option(help="feature set it is meant for (core)")] = None,
    exchange: Annotated[
        str | None, typer.Option(help="fetch from this ccxt exchange (symbols in ccxt spelling: BTC/USDT)")
    ] = None,
    exchange_config: Annotated[
        str | None, typer.Option(help="JSON options for the ccxt constructor (urls, keys, sandbox)")
    ] = None,
) -> None:
    """Freeze bars from the bar store (or an exchange): one Parquet file per series and a checksummed
    manifest."""
    from candlecast.cli.ops.snapshots import create, create_from_exchange

    names = comma_list(symbols)
    settings = settings_of(ctx)
    if exchange:
        args = (settings, exchange, exchange_config, names, timeframe, days, out, feature_set)
        exit_with(create_from_exchange(*args))
    else:
        exit_with(create(settings, names, timeframe, days, out, feature_set))


def snapshot_verify(folder: Annotated[Path, typer.Argument(metavar="DIR", help="snapshot folder")]) -> None:
    """Check every file against the manifest: exit 0, or 1 with the first mismatch."""
    from candlecast.cli.ops.snapshots import verify

    exit_with(verify(folder))


def dlq_list(
    ctx: typer.Context,
    reason: Annotated[str | None, typer.Option(help="only reasons containing this (any case)")] = None,
    stream: Annotated[
        str | None, typer.Option(help="only from this stream (bars or candlecast:bars)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="show the newest N that match")] = 50,
) -> None:
    """List dead letters, newest last."""
    from candlecast.cli.ops.dlq import list_letters

    exit_with(list_letters(settings_of(ctx), reason, stream, limit))


def dlq_show(
    ctx: typer.Context, ident: Annotated[str, typer.Argument(metavar="ID", help="a dlq entry id")]
) -> None:
    """Print one dead letter whole, as JSON (payload included)."""
    from candlecast.cli.ops.dlq import show_letter

    exit_with(show_letter(settings_of(ctx), ident))


def dlq_replay(
    ctx: typer.Context,
    ids: Annotated[list[str] | None, typer.Option("--id", help="a dlq entry id (repeatable)")] = None,
    every: Annotated[bool, typer.Option("--all", help="every dead letter (see --reason, --stream)")] = False,
    reason: Annotated[str | None, typer.Option(help="with --all: only reasons containing this")] = None,
    stream: Annotated[str | None, typer.Option(help="with --all: only from this stream")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="say what would be replayed; change nothing")
    ] = False,
) -> None:
    """Publish dead letters' payloads to their original streams again and remove them from the dlq
    (each once, atomically). Exit 0 if all were replayed, 1 if any was skipped (truncated) or missing."""
    from candlecast.cli.ops.dlq import Selection, replay_letters

    if not ids and not every:
        raise typer.BadParameter("say which: --id ID (repeatable) or --all")
    if ids and every:
        raise typer.BadParameter("--id and --all don't go together")
    if ids and (reason is not None or stream is not None):
        raise typer.BadParameter("--reason and --stream narrow --all; with --id, name the records")
    exit_with(replay_letters(settings_of(ctx), Selection(ids or (), reason, stream), dry_run))


def features_compute(
    source: Annotated[Path, typer.Argument(metavar="INPUT", help="Parquet or CSV bar file")],
    target: Annotated[Path, typer.Argument(metavar="OUTPUT", help="Parquet file of feature rows")],
    feature_set: Annotated[str | None, typer.Option(help="feature set (default: core)")] = None,
    timeframe: Annotated[str | None, typer.Option(help="timeframe where the file has none (5m)")] = None,
) -> None:
    """Compute the features of a bar file into Parquet, with the service's kernel."""
    from candlecast.cli.ops.features import compute_features

    exit_with(compute_features(source, target, feature_set, timeframe))


def features_reset(
    ctx: typer.Context,
    symbol: Annotated[str, typer.Argument(help="the series' symbol")],
    timeframe: Annotated[str | None, typer.Option(help="bar timeframe (default: settings)")] = None,
) -> None:
    """Reset a series' feature state (safe while the features service runs: the order goes on `bars`)."""
    from candlecast.cli.ops.features import reset_series

    settings = settings_of(ctx)
    exit_with(asyncio.run(reset_series(settings, symbol, timeframe or settings.timeframe)))


def add_groups(app: typer.Typer) -> None:
    models = typer.Typer(help="The model registry.", no_args_is_help=True)
    models.command("list")(models_list)
    models.command("show")(models_show)
    models.command("promote")(models_promote)
    models.command("rollback")(models_rollback)
    app.add_typer(models, name="models")
    snapshot = typer.Typer(help="Frozen, checksummed training data.", no_args_is_help=True)
    snapshot.command("create")(snapshot_create)
    snapshot.command("verify")(snapshot_verify)
    app.add_typer(snapshot, name="snapshot")
    dlq = typer.Typer(help="Dead letters: messages no service could process.", no_args_is_help=True)
    dlq.command("list")(dlq_list)
    dlq.command("show")(dlq_show)
    dlq.command("replay")(dlq_replay)
    app.add_typer(dlq, name="dlq")
    features = typer.Typer(help="The feature library.", no_args_is_help=True)
    features.command("compute")(features_compute)
    features.command("reset")(features_reset)
    app.add_typer(features, name="features")
