"""Timeframe strings ("5m", "1h") and their length in milliseconds."""

from __future__ import annotations

DAY_MS = 86_400_000
_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": DAY_MS, "w": 7 * DAY_MS}


def timeframe_ms(timeframe: str) -> int:
    """Length of one bar: `timeframe_ms("5m") == 300_000`."""
    unit = timeframe[-1:]
    count = timeframe[:-1]
    if unit not in _UNIT_MS or not count.isdigit() or int(count) <= 0:
        raise ValueError(f"unknown timeframe {timeframe!r}: use e.g. 1m, 5m, 1h, 1d")
    return int(count) * _UNIT_MS[unit]
