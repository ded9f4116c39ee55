"""A model card as rich tables, whatever its schema: scalars in a summary, each section a table.

Cards change shape between schema versions, so nothing here names a card field.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.table import Table

MAX_ROWS = 40  # per section; `models show --json` prints everything
EPOCH_MS_FROM = 10**12  # 2001-09-09: integers above this named *_ts or *_at are times


def is_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def text(key: str, value: object) -> str:
    """One value as text: floats to 6 significant digits, epoch-ms times as UTC."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and key.endswith(("_ts", "_at")) and value >= EPOCH_MS_FROM:
        stamp = datetime.fromtimestamp(value / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
        return f"{stamp} UTC ({value})"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list) and all(is_scalar(v) for v in value):
        return ", ".join(text(key, v) for v in value)
    return str(value)


def flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted path, text) for every leaf; lists of scalars stay one row."""
    if isinstance(value, dict):
        rows = []
        for key, item in value.items():
            rows += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, list) and not all(is_scalar(v) for v in value):
        rows = []
        for i, item in enumerate(value):
            rows += flatten(item, f"{prefix}[{i}]")
        return rows
    return [(prefix, text(prefix.rsplit(".", 1)[-1], value))]


def section_table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table("", "", title=title, title_justify="left", show_header=False, box=None)
    table.columns[0].style = "bold"
    for key, value in rows[:MAX_ROWS]:
        table.add_row(key, value)
    if len(rows) > MAX_ROWS:
        table.add_row("...", f"{len(rows) - MAX_ROWS} more (--json shows all)")
    return table


def card_tables(card: dict[str, object]) -> list[Table]:
    """The summary (top-level scalars), then one table per section, in the card's order."""
    plain = [k for k, v in card.items() if is_scalar(v) or flatten(v) == [("", text("", v))]]
    tables = [section_table("card", [(k, text(k, card[k])) for k in plain])]
    tables += [section_table(k, flatten(v)) for k, v in card.items() if k not in plain]
    return tables
