"""The one wall-clock read: the core takes time as data (`core.ports.Clock`)."""

from __future__ import annotations

import time


def now_ms() -> int:
    """UTC epoch milliseconds."""
    return time.time_ns() // 1_000_000
