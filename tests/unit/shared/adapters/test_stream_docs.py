"""docs/streams.md is current, its examples are valid messages, and it covers the README's streams."""

from __future__ import annotations

import re
from pathlib import Path

from candlecast.shared.adapters.stream_docs import model_of, render
from candlecast.shared.core.constants import Keys
from candlecast.shared.core.features.catalog import FEATURE_SETS

REPO = Path(__file__).resolve().parents[4]
STREAMS_MD = REPO / "docs" / "streams.md"
README = REPO / "README.md"
HEADING = re.compile(r"^#{2,4} `?([^`]*)`?")


def committed() -> str:
    return STREAMS_MD.read_text(encoding="utf-8")


def json_examples(text: str) -> list[tuple[str, str]]:
    """(the heading above it, the block) for every ```json block."""
    found: list[tuple[str, str]] = []
    heading = ""
    block: list[str] | None = None
    for line in text.splitlines():
        if block is not None:
            if line == "```":
                found.append((heading, "\n".join(block)))
                block = None
            else:
                block.append(line)
        elif line == "```json":
            block = []
        elif match := HEADING.match(line):
            heading = match.group(1)
    return found


def readme_streams() -> list[str]:
    """The first column of the README's stream contract table."""
    section = README.read_text(encoding="utf-8").split("## The stream contract", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE)


def test_committed_streams_md_is_current() -> None:
    assert committed() == render(), "docs/streams.md is stale: run `make docs` and commit it"


def test_every_example_validates_against_the_message_in_its_heading() -> None:
    examples = json_examples(committed())
    assert len(examples) >= 15
    for heading, block in examples:
        model_of(heading).model_validate_json(block)  # raises on an invalid example


def test_every_stream_in_the_readme_table_is_documented() -> None:
    streams = readme_streams()
    assert {"bars", "features", "commands", "dlq"} <= set(streams)
    text = committed()
    for stream in streams:
        assert f"## `{Keys().prefix}{stream}`" in text, stream


def test_every_known_feature_set_has_its_names_listed() -> None:
    text = committed()
    for feature_set in FEATURE_SETS.values():
        assert f"`{feature_set.name}` v{feature_set.version}, hash `{feature_set.hash}`" in text
        assert f"{len(feature_set.names) - 1}. `{feature_set.names[-1]}`" in text
