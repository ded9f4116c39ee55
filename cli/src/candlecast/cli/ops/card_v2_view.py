"""A model card v2 as rich tables: the holdout against its baselines first, then every section.

Long lists get their own compact tables (folds, feature importance); everything else goes
through the generic `card_view.flatten`, so a section added later still shows.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from candlecast.cli.ops.card_view import flatten, is_scalar, section_table, text

TOP_FEATURES = 15
NAMES_SHOWN = 8
SCORES = ("accuracy", "log_loss", "brier")
# Shown in the summary or in their own table, not again as a plain section.
OWN_TABLES = ("metrics", "baselines", "folds", "feature_importance", "feature_set", "plots")


def as_dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def holdout_table(card: dict[str, object]) -> Table:
    """Each holdout score of the model beside the base rate's and the majority class's."""
    metrics, baselines = as_dict(card.get("metrics")), as_dict(card.get("baselines"))
    base, major = as_dict(baselines.get("base_rate")), as_dict(baselines.get("majority"))
    table = Table("score", "model", "base rate", "majority", title="holdout", title_justify="left", box=None)
    for key, value in metrics.items():
        row = [text(key, value)]
        row += [text(key, b.get(key)) if key in SCORES else "" for b in (base, major)]
        table.add_row(key, *row)
    for key in ("log_loss_skill", "brier_skill", "prob_up"):
        table.add_row(key, "", text(key, base.get(key)), text(key, major.get(key)))
    return table


def folds_table(folds: dict[str, object]) -> Table:
    """Mean ± std over the walk-forward folds, then one row per fold."""
    title = "folds: " + ", ".join(
        f"{k} {text(k, as_dict(v).get('mean'))} ± {text(k, as_dict(v).get('std'))}"
        for k, v in folds.items()
        if isinstance(v, dict)
    )
    rows = [as_dict(f) for f in as_list(folds.get("folds"))]
    columns = list(rows[0]) if rows else []
    table = Table(*columns, title=title, title_justify="left", box=None)
    for row in rows:
        table.add_row(*(text(c, row.get(c)) for c in columns))
    return table


def importance_table(items: list[object]) -> Table:
    """The features with the largest total gain, with their share of all gain."""
    rows = [as_dict(i) for i in items]
    gains = [float(g) if isinstance(g := r.get("gain"), int | float) else 0.0 for r in rows]
    total = sum(gains) or 1.0
    title = f"feature_importance (gain, top {min(TOP_FEATURES, len(rows))} of {len(rows)})"
    table = Table(
        "feature", "gain", "share", title=title, title_justify="left", box=None, min_width=len(title)
    )
    for row, gain in list(zip(rows, gains, strict=True))[:TOP_FEATURES]:
        table.add_row(str(row.get("name")), f"{gain:.6g}", f"{gain / total:.1%}")
    return table


def feature_set_table(fs: dict[str, object]) -> Table:
    names = [str(n) for n in as_list(fs.get("names"))]
    more = f", ... ({len(names)} in all)" if len(names) > NAMES_SHOWN else ""
    rows = [("n_features", text("n_features", fs.get("n_features")))]
    rows += [(f"id.{k}", v) for k, v in flatten(fs.get("id"))]
    rows.append(("names", ", ".join(names[:NAMES_SHOWN]) + more))
    return section_table("feature_set", rows)


def card_v2_tables(card: dict[str, object]) -> list[Table]:
    """Summary, holdout vs baselines, the other sections in card order, folds, importance."""
    plain = [k for k, v in card.items() if is_scalar(v)]
    tables = [section_table("card", [(k, text(k, card[k])) for k in plain]), holdout_table(card)]
    tables += [
        section_table(k, flatten(v)) for k, v in card.items() if k not in plain and k not in OWN_TABLES
    ]
    tables.append(feature_set_table(as_dict(card.get("feature_set"))))
    tables.append(folds_table(as_dict(card.get("folds"))))
    tables.append(importance_table(as_list(card.get("feature_importance"))))
    return tables


def plot_lines(card: dict[str, object], found: list[Path], folder: Path) -> list[str]:
    """Each plot the card names (present or missing), then PNG files beside it it does not name."""
    named = [str(p) for p in as_list(card.get("plots"))]
    present = {p.name for p in found}
    lines = [f"  {folder / n}" + ("" if n in present else "  (missing)") for n in named]
    lines += [f"  {p}  (not named by the card)" for p in found if p.name not in named]
    return lines
