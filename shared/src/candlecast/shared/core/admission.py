"""What a bar must be to enter a series: pure rules, the clock comes in as `now_ms`.

Ingest, replay and the features consumer apply the same rules:
- its close time (ts + timeframe) is not after now + skew (else it is not a closed bar);
  a ts that looks like seconds or microseconds is refused with that hint;
- it does not jump implausibly far ahead of its series' last bar, unless several bars
  in a row agree on the jump (so a real restart after a long pause is not refused forever);
- an exact duplicate of a bar the series holds is dropped and counted; a conflicting one
  (same ts, other values) is refused.
A refused bar never advances a series, so the series' real next bar still enters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from candlecast.shared.core.arrays import I64, Mask
from candlecast.shared.core.messages import SYMBOL_PATTERN, BarClosed
from candlecast.shared.core.timeframes import DAY_MS

SECONDS_BELOW = 100_000_000_000  # ms before 1973-03-03: such a ts is almost surely in seconds
MICROS_ABOVE = 100_000_000_000_000  # ms after year 5138: such a ts is almost surely in microseconds
Values = tuple[float, float, float, float, float]


@dataclass(frozen=True, slots=True)
class Rules:
    """Limits of admission (settings: CANDLECAST_BAR_SKEW_MS, _BAR_MAX_JUMP_DAYS, _BAR_JUMP_CONFIRM)."""

    skew_ms: int = 5_000
    max_jump_ms: int = 7 * DAY_MS
    jump_confirm: int = 3


def time_refusal(ts: int, timeframe_ms: int, now_ms: int, rules: Rules) -> str | None:
    """Why a bar's ts cannot be a closed bar now, or None."""
    if ts < SECONDS_BELOW:
        return f"ts {ts} looks like seconds, not milliseconds (x1000 would be {ts * 1000})"
    close = ts + timeframe_ms
    if close <= now_ms + rules.skew_ms:
        return None
    hint = f"; it looks like microseconds (/1000 would be {ts // 1000})" if ts >= MICROS_ABOVE else ""
    return f"bar from the future: closes at {close}, later than now {now_ms} + {rules.skew_ms} ms skew{hint}"


def symbol_refusal(symbol: str) -> str | None:
    """Why a symbol cannot name a series (letters, digits and `._-:` only), or None."""
    if 0 < len(symbol) <= 40 and re.fullmatch(SYMBOL_PATTERN, symbol):
        return None
    shown = repr(symbol[:60]) + (f"... ({len(symbol)} chars)" if len(symbol) > 60 else "")
    return f"symbol {shown} is not 1-40 letters, digits and . _ - :"


def admitted(ts: I64, timeframe_ms: int, now_ms: int, rules: Rules) -> tuple[Mask, list[str]]:
    """Rows of one sorted series that pass the time and jump rules, and the refusals' reasons."""
    keep = np.zeros(len(ts), dtype=np.bool_)
    reasons: list[str] = []
    last: int | None = None
    jump = Jump()
    for i, t in enumerate(ts.tolist()):
        reason = time_refusal(t, timeframe_ms, now_ms, rules) or jump_refusal(last, t, jump, rules)
        if reason is None:
            keep[i], last = True, t
        else:
            reasons.append(reason)
    return keep, reasons


def values_of(bar: BarClosed) -> Values:
    return (bar.open, bar.high, bar.low, bar.close, bar.volume)


@dataclass(slots=True)
class Jump:
    """Bars in a row that jumped far ahead of their series, and the newest one's ts."""

    ts: int | None = None
    run: int = 0

    def clear(self) -> None:
        self.ts, self.run = None, 0


def jump_refusal(last_ts: int | None, ts: int, jump: Jump, rules: Rules) -> str | None:
    """None when `ts` may follow `last_ts`; updates `jump` (accepted once confirmed)."""
    if last_ts is None or ts - last_ts <= rules.max_jump_ms:
        jump.clear()
        return None
    follows = jump.ts is not None and 0 < ts - jump.ts <= rules.max_jump_ms
    jump.run = jump.run + 1 if follows else 1
    jump.ts = ts
    if jump.run >= rules.jump_confirm:
        jump.clear()
        return None
    return (
        f"implausible jump: ts {ts} is {(ts - last_ts) / DAY_MS:.1f} days after the series' last bar "
        f"{last_ts} (limit {rules.max_jump_ms / DAY_MS:g} days; accepted once {rules.jump_confirm} bars "
        "in a row agree)"
    )


@dataclass(slots=True)
class Recent:
    """The newest bars' values by ts, to tell an exact duplicate from a conflicting one."""

    size: int = 64
    values: dict[int, Values] = field(default_factory=dict)

    def add(self, ts: int, values: Values) -> None:
        """Bars come in ts order (admitted bars follow the last one), so the first key is the oldest."""
        self.values[ts] = values
        while len(self.values) > self.size:
            del self.values[next(iter(self.values))]

    def to_rows(self) -> list[list[float]]:
        return [[ts, *v] for ts, v in sorted(self.values.items())]

    @classmethod
    def from_rows(cls, rows: list[list[float]], size: int = 64) -> Recent:
        recent = cls(size)
        for ts, *v in rows:
            recent.add(int(ts), (v[0], v[1], v[2], v[3], v[4]))
        return recent


def duplicate_kind(recent: Recent, bar: BarClosed) -> str | None:
    """'exact', 'conflict', or None when the window holds no bar at this ts."""
    held = recent.values.get(bar.ts)
    if held is None:
        return None
    return "exact" if held == values_of(bar) else "conflict"
