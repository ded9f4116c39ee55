"""`candlecast`: run a service, replay bars, retrain, follow predictions, run the demo.

Services and extra commands are found through entry points
(`candlecast.services`, `candlecast.commands`), so an image with only one
service installed still has the same CLI and nothing imports a service directly.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

from candlecast.shared import ops
from candlecast.shared.settings import Settings

SERVICES = "candlecast.services"
COMMANDS = "candlecast.commands"


def run_service(name: str) -> int:
    found = {ep.name: ep for ep in entry_points(group=SERVICES)}
    if name not in found:
        print(
            f"unknown or uninstalled service {name!r}; installed: {', '.join(sorted(found))}",
            file=sys.stderr,
        )
        return 2

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        found[name].load()()
    except KeyboardInterrupt:
        logging.getLogger("candlecast").info("%s stopped", name)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="candlecast", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run a service: ingest, features, trainer or predictor")
    p.add_argument("service")
    p.set_defaults(func=lambda a: run_service(a.service))

    p = sub.add_parser("retrain", help="publish a retrain command")
    p.add_argument("--symbols", nargs="*", default=[], help="symbols to train on (default: all stored)")
    p.add_argument("--timeframe", default=None)
    p.add_argument("--horizon", type=int, default=None)
    p.add_argument("--trials", type=int, default=1)
    p.add_argument("--follow", action="store_true", help="print progress; exit 0 only on promotion")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds to follow before giving up")
    p.set_defaults(func=lambda a: asyncio.run(ops.retrain(Settings(), a)))

    p = sub.add_parser("rollback", help="make an earlier model version champion again")
    p.add_argument("version")
    p.set_defaults(func=lambda a: asyncio.run(ops.rollback(Settings(), a.version)))

    p = sub.add_parser("tail", help="print predictions as they arrive")
    p.add_argument("symbol", nargs="?", default=None)
    p.add_argument("--count", type=int, default=0, help="stop after this many (0: never)")
    p.add_argument("--from-start", action="store_true", help="from the oldest kept entry, not new ones")
    p.set_defaults(func=lambda a: asyncio.run(ops.tail(Settings(), a.symbol, a.count, a.from_start)))

    models = sub.add_parser("models", help="the model registry").add_subparsers(
        dest="models_cmd", required=True
    )
    p = models.add_parser("list", help="list model versions, champion marked")
    p.set_defaults(func=lambda _a: ops.list_models(Settings()))

    features = sub.add_parser("features", help="the feature library").add_subparsers(
        dest="features_cmd", required=True
    )
    p = features.add_parser("compute", help="compute features of a Parquet/CSV bar file into Parquet")
    p.add_argument("input", type=Path)
    p.add_argument("output", type=Path)
    p.add_argument("--feature-set", default=None)
    p.add_argument("--timeframe", default=None)
    p.set_defaults(func=ops.compute_features)

    p = sub.add_parser("demo", help="the whole pipeline on a synthetic market (embedded Redis if none set)")
    p.add_argument("--seconds", type=float, default=0, help="stop after this long (0: until Ctrl-C)")
    p.set_defaults(func=lambda a: ops.demo(a.seconds))

    for ep in entry_points(group=COMMANDS):
        ep.load()(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=Settings().log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
