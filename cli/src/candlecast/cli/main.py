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
from typing import Annotated

import typer

from candlecast.cli.context import comma_list, exit_with, settings_of
from candlecast.cli.errors import (
    INTERRUPTED,
    REDIS_DOWN,
    USER_ERRORS,
    UserError,
    one_line,
    redis_line,
    usage_line,
)
from candlecast.cli.groups import add_groups, models_rollback
from candlecast.cli.tree import SERVICES, services, top_names, tree_epilog
from candlecast.shared.adapters.logs import configure as configure_logs
from candlecast.shared.settings import Settings

COMMANDS = "candlecast.commands"


def configure(ctx: typer.Context) -> None:
    """Settings are read once, here, and handed to every command."""
    settings = Settings()
    configure_logs(settings.log_level, as_json=settings.log_json)
    ctx.obj = settings


def run(service: Annotated[str, typer.Argument(help="an installed service (see above)")]) -> None:
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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="with --follow: no progress, only the outcome")
    ] = False,
) -> None:
    """Publish a retrain command; with --follow exit 0 once promoted and served, 1 on rejection or failure."""
    from candlecast.cli.ops.retrain import RetrainOptions, retrain_command, send

    settings = settings_of(ctx)
    names = comma_list(symbols)
    options = RetrainOptions(timeframe, horizon, trials, force, snapshot)
    command = retrain_command(settings, names, options)
    exit_with(asyncio.run(send(settings, command, follow, timeout, wait_loaded, quiet)))


def rollback(
    ctx: typer.Context,
    version: Annotated[str | None, typer.Argument(help="version (default: the previous champion)")] = None,
) -> None:
    """Same as `models rollback`: an earlier version champion again (exit 0 once it is)."""
    models_rollback(ctx, version)


def tail_predictions(
    ctx: typer.Context,
    what: Annotated[
        str | None,
        typer.Argument(
            metavar="SYMBOL|scores",
            help="one symbol's predictions, or `scores` for the live model scores (default: all predictions)",
        ),
    ] = None,
    count: Annotated[int, typer.Option(min=0, help="stop after this many (0: never)")] = 0,
    from_start: Annotated[
        bool, typer.Option("--from-start", help="from the oldest kept entry, not new ones")
    ] = False,
) -> None:
    """Print predictions (time, symbol, P(up), the forecast's last close and band) or scores as they
    arrive; Ctrl-C stops."""
    from candlecast.cli.ops.tail import tail

    exit_with(asyncio.run(tail(settings_of(ctx), what, count, from_start)))


def demo(
    seconds: Annotated[float, typer.Option(help="stop after this long (0: until Ctrl-C)")] = 0,
    trials: Annotated[int, typer.Option(min=1, help="Optuna trials of the first retrain")] = 20,
) -> None:
    """The whole pipeline on a synthetic market with a planted signal (embedded Redis if none is set)."""
    from candlecast.cli.demo import run_demo

    exit_with(run_demo(seconds, trials))


def build_app(argv: Sequence[str] | None = None) -> typer.Typer:
    """The root app: our commands, then those that installed services contribute.

    A command of our own (`candlecast run NAME`, `models list`, `tail`...) skips the
    contributed ones: loading them imports LightGBM, Optuna and ccxt, seconds a restarted
    service would spend before consuming again. They add top-level commands only.
    """
    app = typer.Typer(help=__doc__.splitlines()[0], no_args_is_help=True, add_completion=False)
    app.callback()(configure)
    installed = ", ".join(services()) or "none"
    app.command(help=f"Run a service until SIGTERM or Ctrl-C. Installed: {installed}.")(run)
    app.command()(retrain)
    app.command()(rollback)
    app.command("tail")(tail_predictions)
    add_groups(app)
    app.command()(demo)
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] and args[0] in top_names(app):
        return app
    for ep in entry_points(group=COMMANDS):
        ep.load()(app)
    app.info.epilog = tree_epilog(app)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """The `candlecast` script: the exit code; a user's mistake is one line on stderr and 2 (5: Redis)."""
    args = None if argv is None else list(argv)
    try:
        code = build_app(argv)(args=args, prog_name="candlecast", standalone_mode=False)
    except KeyboardInterrupt:  # Ctrl-C before the command ran (typer turns later ones into 130)
        return INTERRUPTED
    except typer.TyperException as exc:  # a bad option value, a missing argument, an unknown command
        if type(exc).__name__ != "NoArgsIsHelpError":  # that one's help is on screen already
            print(f"candlecast: {usage_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except typer.Abort:  # end of input at a prompt
        return 1
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    except USER_ERRORS as exc:
        problem = redis_line(exc)
        print(f"candlecast: {problem or one_line(exc)}", file=sys.stderr)
        return REDIS_DOWN if problem else 2
    return code if isinstance(code, int) else 0
