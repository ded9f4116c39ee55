"""The committed JSON Schema of model cards: where it lives, and `make schema` to regenerate it.

`python -m candlecast.shared.adapters.card_schema` rewrites the file from `ModelCard`; a unit
test fails while the committed file differs from what this would write.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

from candlecast.shared.core.cards import card_schema

SCHEMA_FILE = "model_card.schema.json"


def schema_path() -> Path:
    """`model_card.schema.json`, package data of `candlecast.shared`."""
    return Path(str(files("candlecast.shared").joinpath(SCHEMA_FILE)))


def schema_text() -> str:
    """The schema file's text as generated now."""
    return json.dumps(card_schema(), indent=2, ensure_ascii=False) + "\n"


def committed_schema() -> dict[str, object]:
    schema: dict[str, object] = json.loads(schema_path().read_text(encoding="utf-8"))
    return schema


def main() -> None:
    path = schema_path()
    path.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {path}")  # noqa: T201 - a build step's one line


if __name__ == "__main__":
    main()
