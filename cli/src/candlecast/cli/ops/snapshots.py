"""`snapshot create` and `snapshot verify`: frozen, checksummed training data from the bar store,
or (`--exchange ID`) from an exchange, fetched through the ingest distribution's `ccxt` fetcher.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from rich.table import Table

from candlecast.cli.context import console
from candlecast.cli.errors import UserError
from candlecast.shared.adapters.barstore import BarStore
from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.snapshots import (
    SnapshotError,
    create_snapshot,
    read_snapshot,
    store_series,
    write_snapshot,
)
from candlecast.shared.core.constants import SNAPSHOTS_DIR
from candlecast.shared.core.messages import FeatureSetId
from candlecast.shared.core.snapshots import SnapshotManifest
from candlecast.shared.settings import Settings

VERIFY_FAILED = 1
FETCHERS = "candlecast.fetchers"  # entry points: (home, exchange, symbols, tf, days, config) -> names
Fetcher = Callable[[Path, str, list[str], str, float, dict[str, Any]], list[str]]


def fetcher() -> Fetcher:
    found = {ep.name: ep for ep in entry_points(group=FETCHERS)}
    if "ccxt" not in found:
        raise UserError("snapshots from an exchange need candlecast-ingest installed")
    fetch: Fetcher = found["ccxt"].load()
    return fetch


def exchange_options(text: str | None) -> dict[str, Any]:
    try:
        options = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise UserError(f"--exchange-config is not JSON: {exc}") from None
    if not isinstance(options, dict):
        raise UserError("--exchange-config must be a JSON object")
    return options


def feature_set_id(name: str | None) -> FeatureSetId:
    try:
        from candlecast.shared.core import features
    except ImportError as exc:
        raise UserError(f"{exc}: the feature-set id needs candlecast-cli[features]") from exc
    return (features.get_feature_set(name) if name else features.DEFAULT).id


def files_table(manifest: SnapshotManifest) -> Table:
    table = Table("file", "symbol", "rows", "first ts", "last ts", "sha256", box=None)
    for f in manifest.files:
        table.add_row(f.path, f.symbol, str(f.rows), str(f.first_ts), str(f.last_ts), f.sha256[:16])
    return table


def create(
    settings: Settings,
    symbols: Sequence[str],
    timeframe: str | None,
    days: float,
    out: Path | None,
    feature_set: str | None,
) -> int:
    """Write the snapshot under `out` (default `$CANDLECAST_HOME/snapshots`) and print where."""
    if not symbols:
        raise UserError("name the symbols: --symbols BTCUSDT,ETHUSDT")
    fs = feature_set_id(feature_set)
    target = out or settings.home / SNAPSHOTS_DIR
    store = BarStore(settings.home)
    tf = timeframe or settings.timeframe
    folder, manifest = create_snapshot(store, target, list(dict.fromkeys(symbols)), tf, days, fs, now_ms())
    show(folder, manifest)
    return 0


def create_from_exchange(
    settings: Settings,
    exchange: str,
    config: str | None,
    symbols: Sequence[str],
    timeframe: str | None,
    days: float,
    out: Path | None,
    feature_set: str | None,
) -> int:
    """Fetch the last `days` days of closed bars into a scratch store, then freeze them."""
    if not symbols:
        raise UserError("name the symbols: --symbols BTC/USDT,ETH/USDT")
    fs, options = feature_set_id(feature_set), exchange_options(config)
    tf, now = timeframe or settings.timeframe, now_ms()
    target = out or settings.home / SNAPSHOTS_DIR
    with tempfile.TemporaryDirectory(prefix="candlecast-fetch-") as scratch:
        names = fetcher()(Path(scratch), exchange, list(dict.fromkeys(symbols)), tf, days, options)
        series, span = store_series(BarStore(Path(scratch)), names, tf, days)
        folder, manifest = write_snapshot(target, series, f"exchange:{exchange}", fs, span, now)
    show(folder, manifest)
    return 0


def show(folder: Path, manifest: SnapshotManifest) -> None:
    screen = console()
    screen.print(f"snapshot {manifest.id}: {manifest.rows} bars, {len(manifest.files)} series, in {folder}")
    screen.print(files_table(manifest))


def verify(folder: Path) -> int:
    """0 when every file matches the manifest; else one line on stderr and 1."""
    try:
        manifest, _ = read_snapshot(folder)
    except SnapshotError as exc:
        print(f"candlecast: {exc}", file=sys.stderr)
        return VERIFY_FAILED
    print(f"ok: snapshot {manifest.id}, {len(manifest.files)} files, {manifest.rows} bars match the manifest")
    return 0
