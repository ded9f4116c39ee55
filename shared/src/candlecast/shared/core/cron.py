"""Five-field cron expressions (minute hour day-of-month month day-of-week), in UTC.

Each field takes `*`, `N`, `A-B`, `*/S`, `A-B/S`, `N/S` and comma lists; months and
weekdays also take names (JAN, MON). Sunday is 0 or 7. As in Vixie cron, when both
day fields are restricted (neither starts with `*`) a day matches if either does.
`@hourly`, `@daily`, `@weekly`, `@monthly` and `@yearly` are shorthands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MINUTE_MS = 60_000
SEARCH_DAYS = 366 * 8 + 2  # covers Feb 29 even across a skipped leap year (2100)

MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# name, lowest, highest, names (the first name is the lowest value)
FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed expression: the allowed values of each field."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day of month starts with *
    any_weekday: bool  # day of week starts with *

    def day_matches(self, day: datetime) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = day.isoweekday() % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week


def _value(text: str, name: str, low: int, names: tuple[str, ...]) -> int:
    """A number, or a name (the first name is the field's lowest value)."""
    upper = text.upper()
    if upper in names:
        return names.index(upper) + low
    if not text.isdigit():
        raise ValueError(f"cron {name}: {text!r} is not a number")
    return int(text)


def _field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = _value(step_text, name, 1, ()) if step_text else 1
        if step < 1:
            raise ValueError(f"cron {name}: step must be at least 1 in {part!r}")
        if span == "*":
            first, last = low, high
        else:
            first_text, dash, last_text = span.partition("-")
            first = _value(first_text, name, low, names)
            last = _value(last_text, name, low, names) if dash else (high if step_text else first)
        if not low <= first <= last <= high:
            raise ValueError(f"cron {name}: {part!r} is outside {low}-{high} (or reversed)")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def parse_cron(expression: str) -> Cron:
    """Parse an expression; a ValueError says which field is wrong."""
    text = MACROS.get(expression.strip().lower(), expression)
    parts = text.split()
    if len(parts) != len(FIELDS):
        raise ValueError(f"cron needs 5 fields (minute hour day month weekday), got {expression!r}")
    minutes, hours, days, months, weekdays = (
        _field(part, *spec) for part, spec in zip(parts, FIELDS, strict=True)
    )
    cron = Cron(
        minutes, hours, days, months, frozenset(d % 7 for d in weekdays),
        any_day=parts[2].startswith("*"), any_weekday=parts[4].startswith("*"),
    )  # fmt: skip
    next_fire(cron, 0)  # refuses expressions that never fire, such as 30 February
    return cron


def next_fire(cron: Cron, after_ms: int) -> int:
    """UTC epoch ms of the first matching minute strictly after `after_ms`."""
    start = datetime.fromtimestamp((after_ms // MINUTE_MS + 1) * 60, tz=UTC)
    day = start.replace(hour=0, minute=0)
    for _ in range(SEARCH_DAYS):
        if cron.day_matches(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    at = day.replace(hour=hour, minute=minute)
                    if at >= start:
                        return int(at.timestamp()) * 1000
        day += timedelta(days=1)
    raise ValueError("cron expression never fires")
