"""A FastStream message format that writes and reads candlecast's bare JSON document.

FastStream's default binary framing cannot be read by other Redis clients; a broker
given `JsonFormat` publishes what `wire.encode` writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from faststream.redis.parser import MessageFormat
from pydantic import BaseModel

from candlecast.shared.adapters.wire import encode

if TYPE_CHECKING:
    from fast_depends.library.serializer import SerializerProto
    from faststream._internal.basic_types import SendableMessage
    from faststream._internal.parser import CodecProto


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
