"""`models list` and `models show`: the registry's versions, and one card with its plots."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rich.table import Table

from candlecast.cli.context import console
from candlecast.cli.errors import UserError
from candlecast.cli.ops.card_v2_view import card_v2_tables, plot_lines
from candlecast.cli.ops.card_view import card_tables, text
from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.cards import CARD_SCHEMA_VERSION
from candlecast.shared.settings import Settings

# Where each column's value sits, newest card schema first.
COLUMNS = {
    "h": ("train.horizon", "horizon"),
    "log loss": ("metrics.log_loss",),
    "base rate": ("baselines.base_rate.log_loss", "metrics.baseline_log_loss"),
    "skill": ("baselines.base_rate.log_loss_skill",),
    "AUC": ("metrics.auc_roc", "metrics.auc"),
    "ECE": ("metrics.calibration_ece", "metrics.ece"),
    "gate": ("gate.decision",),
    "symbols": ("train.symbols", "symbols"),
}


def lookup(card: dict[str, object], *paths: str) -> object:
    """The value at the first dotted path the card has, else None."""
    for path in paths:
        value: object = card
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


def created(card: dict[str, object]) -> str:
    at = card.get("created_at")
    if not isinstance(at, int):
        return "-"
    return datetime.fromtimestamp(at / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def models_table(cards: list[dict[str, object]], champion: str | None) -> Table:
    """One row per version: * marks the champion; log loss against the base rate's on the holdout."""
    table = Table("", "version", "created (UTC)", "feature set", *COLUMNS, box=None)
    table.columns[1].no_wrap = True
    for card in cards:
        fs = lookup(card, "feature_set.id", "feature_set")
        fs_text = f"{fs.get('name')}:{fs.get('hash')}" if isinstance(fs, dict) else "-"
        values = [lookup(card, *paths) for paths in COLUMNS.values()]
        cells = [text(paths[0], v) for paths, v in zip(COLUMNS.values(), values, strict=True)]
        cells[-1] = cells[-1].replace(", ", ",")
        marker = "*" if card.get("version") == champion else ""
        table.add_row(marker, str(card.get("version")), created(card), fs_text, *cells)
    return table


def list_models(settings: Settings) -> int:
    store = FileModelStore(settings.home)
    cards = [store.card_document(v) for v in store.versions()]
    if not cards:
        console().print(f"no models under {settings.home}")
        return 0
    console().print(models_table(cards, store.champion()))
    return 0


def show_model(settings: Settings, version: str, as_json: bool) -> int:
    store = FileModelStore(settings.home)
    try:
        card = store.card_document(version)
    except KeyError:
        raise UserError(f"no saved model {version!r} under {settings.home}") from None
    if as_json:
        print(json.dumps(card, indent=2))
        return 0
    out = console()
    champion = "  (champion)" if store.champion() == version else ""
    out.print(f"[bold]model {version}[/bold]{champion}")
    v2 = card.get("schema_version") == CARD_SCHEMA_VERSION
    for table in card_v2_tables(card) if v2 else card_tables(card):
        out.print()
        out.print(table)
    plots = store.plots(version)
    lines = plot_lines(card, plots, store.models_dir / version) if v2 else [f"  {p}" for p in plots]
    out.print()
    out.print(f"plots ({len(plots)} present):" if lines else "plots: none")
    for line in lines:
        out.print(line, soft_wrap=True, markup=False, highlight=False)
    return 0
