"""The wire format: one plain JSON document per stream entry, in the field `__data__`.

FastStream's default binary framing cannot be read by other Redis clients, so the
broker is given `JsonFormat`, and everything candlecast writes itself (pipelined
XADDs) uses `encode` below. Anything JSON-decodable is accepted on read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from faststream.redis.parser import MessageFormat
from pydantic import BaseModel

if TYPE_CHECKING:
    from fast_depends.library.serializer import SerializerProto
    from faststream._internal.basic_types import SendableMessage
    from faststream._internal.parser import CodecProto


def encode(message: BaseModel) -> bytes:
    """The JSON bytes of a message (floats round-trip exactly)."""
    return message.model_dump_json().encode()


class JsonFormat(MessageFormat):
    """FastStream message format that writes and reads the bare JSON document."""

    __slots__ = ()

    @classmethod
    async def encode(
        cls,
        *,
        message: Sequence[SendableMessage] | SendableMessage,
        reply_to: str | None,
        headers: dict[str, Any] | None,
        correlation_id: str,
        serializer: SerializerProto | None = None,
        codec: CodecProto | None = None,
    ) -> bytes:
        if isinstance(message, BaseModel):
            return encode(message)
        built = await cls.build(
            message=message,
            reply_to=reply_to,
            headers=headers,
            correlation_id=correlation_id,
            serializer=serializer,
            codec=codec,
        )
        return built.data

    @classmethod
    def parse(cls, data: bytes) -> tuple[bytes, dict[str, Any]]:
        return data, {}
