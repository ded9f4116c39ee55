"""candlecast: run a service, retrain, roll back, follow predictions, compute features, run the demo.

Services and extra commands are found through entry points (`candlecast.services`,
`candlecast.commands`), so an image with only one service installed has the same CLI
and nothing here imports a service. A `candlecast.commands` entry point is a function
that takes the root typer app and adds its commands to it. Each command imports what
it needs when it runs, so `candlecast run NAME` starts a service without loading the rest.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from candlecast.cli.context import comma_list, exit_with, settings_of
from candlecast.cli.errors import REDIS_DOWN, USER_ERRORS, UserError, one_line, redis_line
from candlecast.cli.groups import add_groups, models_rollback
from candlecast.shared.adapters.logs import configure as configure_logs
from candlecast.shared.settings import Settings

SERVICES = "candlecast.services"
COMMANDS = "candlecast.commands"


def configure(ctx: typer.Context) -> None:
    """Settings are read once, here, and handed to every command."""
    settings = Settings()
    configure_logs(settings.log_level, as_json=settings.log_json)
    ctx.obj = settings


def run(service: Annotated[str, typer.Argument(help="ingest, features, trainer or predictor")]) -> None:
    """Run a service until SIGTERM or Ctrl-C."""
    found = {ep.name: ep for ep in entry_points(group=SERVICES)}
    if service not in found:
        installed = ", ".join(sorted(found)) or "none"
        raise UserError(f"unknown or uninstalled service {service!r}; installed: {installed}")

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    log = logging.getLogger("candlecast")
    try:
        found[service].load()()
    except KeyboardInterrupt:
        log.info("%s stopped", service)
    except Exception as exc:
        problem = redis_line(exc)
        if problem is not None:  # Redis went away or refuses us: one line, not a traceback
            log.error("%s stopped: %s", service, problem)  # noqa: TRY400 - the point is no traceback
            raise typer.Exit(REDIS_DOWN) from None
        log.exception("%s failed", service)  # a service's failure keeps its traceback in the log
        raise typer.Exit(1) from None


def retrain(
    ctx: typer.Context,
    symbols: Annotated[
        list[str] | None,
        typer.Option("--symbols", help="symbols to train on, repeated or comma-separated (default: all)"),
    ] = None,
    timeframe: Annotated[str | None, typer.Option(help="bar timeframe (default: settings)")] = None,
    horizon: Annotated[int | None, typer.Option(help="label horizon in bars (default: settings)")] = None,
    trials: Annotated[int | None, typer.Option(help="tuning trials (default: 200)")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="promote even if the gate rejects the model")
    ] = False,
    snapshot: Annotated[
        str | None, typer.Option(help="train on a snapshot (directory or id) instead of the bar store")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="print progress; exit 0 only on promotion")
    ] = False,
    timeout: Annotated[float, typer.Option(help="seconds to follow before giving up (exit 3)")] = 1800.0,
    wait_loaded: Annotated[
        float,
        typer.Option(
            min=0,
            help="with --follow, after a promotion: seconds to wait until a predictor announces it "
            "serves the new version (exit 4 if none does; 0: don't wait)",
        ),
    ] = 60.0,
) -> None:
    """Publish a retrain command; with --follow exit 0 once promoted and served, 1 on rejection or failure."""
    from candlecast.cli.ops.retrain import RetrainOptions, retrain_command, send

    settings = settings_of(ctx)
    names = comma_list(symbols)
    options = RetrainOptions(timeframe, horizon, trials, force, snapshot)
    command = retrain_command(settings, names, options)
    exit_with(asyncio.run(send(settings, command, follow, timeout, wait_loaded)))


def rollback(
    ctx: typer.Context,
    version: Annotated[str | None, typer.Argument(help="version (default: the previous champion)")] = None,
) -> None:
    """Same as `models rollback`: an earlier version champion again (exit 0 once it is)."""
    models_rollback(ctx, version)


def tail_predictions(
    ctx: typer.Context,
    symbol: Annotated[str | None, typer.Argument(help="one symbol's stream (default: all)")] = None,
    count: Annotated[int, typer.Option(help="stop after this many (0: never)")] = 0,
    from_start: Annotated[
        bool, typer.Option("--from-start", help="from the oldest kept entry, not new ones")
    ] = False,
) -> None:
    """Print predictions as they arrive."""
    from candlecast.cli.ops.tail import tail

    exit_with(asyncio.run(tail(settings_of(ctx), symbol, count, from_start)))


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


def demo(
    seconds: Annotated[float, typer.Option(help="stop after this long (0: until Ctrl-C)")] = 0,
    trials: Annotated[int, typer.Option(min=1, help="Optuna trials of the first retrain")] = 20,
) -> None:
    """The whole pipeline on a synthetic market with a planted signal (embedded Redis if none is set)."""
    from candlecast.cli.demo import run_demo

    exit_with(run_demo(seconds, trials))


def build_app(argv: Sequence[str] | None = None) -> typer.Typer:
    """The root app: our commands, then those that installed services contribute.

    `candlecast run NAME` skips the contributed commands: loading them imports LightGBM,
    Optuna and ccxt, seconds a restarted service would spend before consuming again.
    """
    app = typer.Typer(help=__doc__.splitlines()[0], no_args_is_help=True, add_completion=False)
    app.callback()(configure)
    app.command()(run)
    app.command()(retrain)
    app.command()(rollback)
    app.command("tail")(tail_predictions)
    add_groups(app)
    features = typer.Typer(help="The feature library.", no_args_is_help=True)
    features.command("compute")(features_compute)
    features.command("reset")(features_reset)
    app.add_typer(features, name="features")
    app.command()(demo)
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] != ["run"] or "--help" in args:
        for ep in entry_points(group=COMMANDS):
            ep.load()(app)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """The `candlecast` script: the exit code; a user's mistake is one line on stderr and 2 (5: Redis)."""
    try:
        build_app(argv)(args=None if argv is None else list(argv), prog_name="candlecast")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    except USER_ERRORS as exc:
        problem = redis_line(exc)
        print(f"candlecast: {problem or one_line(exc)}", file=sys.stderr)
        return REDIS_DOWN if problem else 2
    return 0
