"""Settings: built once at start-up from `CANDLECAST_*` variables and passed down."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from candlecast.shared.core.admission import Rules
from candlecast.shared.core.constants import DEFAULT_PREFIX, Keys
from candlecast.shared.core.timeframes import DAY_MS


def _default_consumer() -> str:
    """Stable per replica (host name in a container), unique per host process otherwise."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Settings(BaseSettings):
    """What every service needs. Services subclass it to add their own."""

    model_config = SettingsConfigDict(env_prefix="CANDLECAST_", frozen=True, extra="ignore")

    redis_url: str | None = Field(
        default=None, description="Redis URL; None means the demo's embedded server, or localhost"
    )
    home: Path = Field(default=Path(".candlecast"), description="Bar store and model registry root")
    stream_prefix: str = Field(default=DEFAULT_PREFIX, description="Prefix of every Redis key")
    maxlen: int = Field(default=200_000, ge=1_000, description="Approximate MAXLEN of each stream")
    consumer: str = Field(
        default_factory=_default_consumer,
        description="Consumer name in groups: unique per replica, stable across its restarts",
    )
    timeframe: str = Field(default="5m", description="Default bar timeframe")
    horizon: int = Field(default=1, ge=1, description="Default label horizon in bars")
    batch_size: int = Field(default=500, ge=1, description="Max entries per stream read")
    block_ms: int = Field(default=100, ge=1, description="Stream read block time")
    log_level: str = Field(default="INFO", description="Logging level")
    log_json: bool = Field(default=False, description="Log each line as one JSON object")
    http_port: int | None = Field(
        default=None, ge=0, le=65_535, description="Serve /healthz, /readyz and /metrics on this port"
    )
    bar_skew_ms: int = Field(
        default=5_000, ge=0, description="A bar may close at most this far after now (clock skew)"
    )
    bar_max_jump_days: float = Field(
        default=7.0, gt=0, description="A bar further ahead of its series' last bar is refused..."
    )
    bar_jump_confirm: int = Field(
        default=3, ge=1, description="...unless this many bars in a row agree on the jump"
    )

    redis_username: str | None = Field(default=None, description="Redis ACL user (overrides the URL's)")
    redis_password: SecretStr | None = Field(
        default=None, description="Redis password (overrides the URL's); never logged"
    )
    redis_ca_file: Path | None = Field(
        default=None, description="CA bundle that signs the server's certificate (rediss:// URLs)"
    )
    redis_cert_file: Path | None = Field(default=None, description="Client certificate for mutual TLS")
    redis_key_file: Path | None = Field(default=None, description="Client key for mutual TLS")
    grace_s: float = Field(
        default=10.0,
        gt=0,
        description="On SIGTERM, finish the current batch (or leave it pending) within this",
    )
    reclaim_idle_ms: int = Field(
        default=30_000,
        ge=100,
        description="Entries pending this long for any consumer, on any host, are taken over",
    )
    max_deliveries: int = Field(
        default=5, ge=1, description="An entry delivered this many times without success is dead-lettered"
    )
    consumer_gone_ms: int = Field(
        default=600_000, ge=1_000, description="A consumer idle this long with nothing pending is removed"
    )
    max_bar_bytes: int = Field(default=4_096, ge=256, description="Largest entry accepted on `bars`")
    max_command_bytes: int = Field(
        default=65_536, ge=1_024, description="Largest entry accepted on `commands`"
    )
    max_entry_bytes: int = Field(
        default=1_048_576, ge=1_024, description="Largest entry accepted on any other stream"
    )
    max_symbols: int = Field(default=1_000, ge=1, description="Most symbols one command may name")
    dlq_payload_chars: int = Field(
        default=4_096, ge=64, description="Dead letters keep this much of a payload, then a truncation marker"
    )

    @property
    def admission(self) -> Rules:
        """What a bar must be to enter (`core.admission`)."""
        return Rules(self.bar_skew_ms, int(self.bar_max_jump_days * DAY_MS), self.bar_jump_confirm)

    @property
    def keys(self) -> Keys:
        return Keys(self.stream_prefix)

    @property
    def url(self) -> str:
        return self.redis_url or "redis://127.0.0.1:6379/0"
