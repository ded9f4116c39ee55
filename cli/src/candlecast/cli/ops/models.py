"""`models list`: the registry's versions as a table, champion marked."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.settings import Settings

PIPE_WIDTH = 1_000  # piped output is never cut to 80 columns: versions get copied from it


def models_table(cards: list[ModelCard], champion: str | None) -> Table:
    table = Table("", "version", "feature set", "h", "log loss", "baseline", "AUC", "symbols", box=None)
    table.columns[1].no_wrap = True
    for card in cards:
        m = card.metrics
        table.add_row(
            "*" if card.version == champion else "",
            card.version,
            f"{card.feature_set.name}:{card.feature_set.hash}",
            str(card.horizon),
            f"{m.log_loss:.5f}",
            f"{m.baseline_log_loss:.5f}",
            f"{m.auc:.4f}",
            ",".join(card.symbols),
        )
    return table


def list_models(settings: Settings) -> int:
    store = FileModelStore(settings.home)
    cards = store.list()
    console = Console()
    if not console.is_terminal:
        console = Console(width=PIPE_WIDTH)
    if not cards:
        console.print(f"no models under {settings.home}")
        return 0
    console.print(models_table(cards, store.champion()))
    return 0
