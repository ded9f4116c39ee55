"""Why replay skips rows: a short kind per skipped row, counted, and the line that says so."""

from __future__ import annotations

from collections import Counter

import numpy as np

from candlecast.shared.core.bars import Bars

REPEATED = "repeated ts"
BAD_SYMBOL = "bad symbol"


def invalid_kinds(bars: Bars) -> list[str]:
    """For each row `valid_mask` refuses, the first thing wrong with it (in `bar_problem`'s order)."""
    o, h, lo, c, v = bars.open, bars.high, bars.low, bars.close, bars.volume
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c) & np.isfinite(v)
        rules = [
            (~finite, "missing or infinite value"),
            (np.minimum(np.minimum(o, h), np.minimum(lo, c)) <= 0, "price <= 0"),
            (h < lo, "high < low"),
            ((lo > np.minimum(o, c)) | (np.maximum(o, c) > h), "open or close outside low-high"),
            (v < 0, "volume < 0"),
        ]
    kinds = np.select([mask for mask, _ in rules], [kind for _, kind in rules], default="")
    return [str(k) for k in kinds if k]


def refusal_kind(reason: str) -> str:
    """The kind of a `core.admission` refusal (its reasons are whole sentences with numbers)."""
    if "looks like seconds" in reason:
        return "ts in seconds"
    if "looks like microseconds" in reason:
        return "ts in microseconds"
    if reason.startswith("bar from the future"):
        return "not closed yet"
    if reason.startswith("implausible jump"):
        return "implausible jump"
    if reason.startswith("symbol "):
        return BAD_SYMBOL
    return reason.split(":", maxsplit=1)[0][:40]


def skipped_line(counts: Counter[str]) -> str:
    """'skipped 12 rows: 7 repeated ts, 5 high < low' (most frequent first); '' when none were."""
    total = counts.total()
    if not total:
        return ""
    kinds = ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
    return f"skipped {total} row{'s' if total != 1 else ''}: {kinds}"
