"""The README lists the `core` set's names in the order of a feature row's `values`."""

from __future__ import annotations

import re
from pathlib import Path

from candlecast.shared.core.features import DEFAULT

README = Path(__file__).resolve().parents[5] / "README.md"


def test_the_readme_lists_the_core_names_in_row_order_with_the_sets_hash() -> None:
    text = README.read_text()
    block = text.split("<!-- core names:", 1)[1].split("</details>", 1)[0]
    listed = re.findall(r"(\d+)&nbsp;`([^`]+)`", block)
    assert [name for _, name in listed] == list(DEFAULT.names), "README's core names are stale"
    assert [int(i) for i, _ in listed] == list(range(len(DEFAULT.names)))
    assert f"<code>{DEFAULT.hash}</code>" in text
