"""The stream contract as AsyncAPI 3.0, one document per service, from FastStream's tooling.

`python -m candlecast.shared.adapters.contract [DIR]` (`make asyncapi`) writes
`DIR/<service>.json` and `.yaml` (DIR defaults to `docs/asyncapi`); a unit test fails
while the committed files differ from what this would write.
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from faststream.specification import AsyncAPI

from candlecast.shared.adapters.contract_brokers import SERVICES
from candlecast.shared.core.constants import DATA_FIELD

OUT_DIR = Path("docs/asyncapi")
PACKAGE = "candlecast-shared"
DESCRIPTION = (
    f"The Redis Streams {{service}} reads and writes. Wire format: each stream entry has one field, "
    f"`{DATA_FIELD}`, holding the message as one JSON document (no headers, no framing), so any "
    "Redis client can read and write it. Every message carries `schema_version`; readers ignore "
    "fields they don't know. Grouped streams are read with XREADGROUP, one consumer per replica."
)
SYMBOL_PARAMETER = {"description": "Instrument, as in the message's `symbol` (e.g. BTCUSDT)"}

Document = dict[str, Any]  # a JSON document


def spec(service: str) -> Document:
    """The AsyncAPI 3.0 document of one service (`SERVICES`)."""
    factory = AsyncAPI(
        SERVICES[service](),
        title=f"candlecast {service}",
        version=version(PACKAGE),
        description=DESCRIPTION.format(service=service),
    )
    document: Document = factory.to_specification().to_jsonable()
    return with_wire_facts(document)


def with_wire_facts(document: Document) -> Document:
    """What FastStream leaves out or gets wrong for this wire: the `{symbol}` channel parameter (a
    TODO there), no correlation-id header (the bare JSON document has none), and a docstring's
    indentation inside channel descriptions."""
    for channel in document["channels"].values():
        channel["description"] = " ".join(channel["description"].split())
        if "{symbol}" in channel["address"]:
            channel["parameters"] = {"symbol": SYMBOL_PARAMETER}
    for message in document["components"]["messages"].values():
        message.pop("correlationId", None)
    return document


def json_text(document: Document) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def yaml_text(document: Document) -> str:
    import yaml  # a build step's dependency (requirements-dev), not the services'

    return yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=110)


def files() -> dict[str, str]:
    """File name to text, for every service."""
    texts: dict[str, str] = {}
    for service in SERVICES:
        document = spec(service)
        texts[f"{service}.json"] = json_text(document)
        texts[f"{service}.yaml"] = yaml_text(document)
    return texts


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files().items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name}")  # noqa: T201 - a build step's one line per file


if __name__ == "__main__":
    main(sys.argv[1:])
