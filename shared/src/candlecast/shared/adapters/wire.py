"""The wire format: one plain JSON document per stream entry, in the field `__data__`.

Everything candlecast writes (one commit script per batch, pipelined XADDs) uses
`encode` below; a FastStream broker is given `faststream_format.JsonFormat`, which
writes the same bare document. Anything JSON-decodable is accepted on read.
"""

from __future__ import annotations

from pydantic import BaseModel


def encode(message: BaseModel) -> bytes:
    """The JSON bytes of a message (floats round-trip exactly)."""
    return message.model_dump_json().encode()
