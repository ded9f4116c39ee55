"""The five-field cron parser and next-fire search, against hand-checked UTC dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from candlecast.shared.core.cron import next_fire, parse_cron


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def fire(expression: str, after: str) -> str:
    at = next_fire(parse_cron(expression), ms(after))
    return datetime.fromtimestamp(at / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M %a")


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 3 * * *", "2026-01-01 02:59:59", "2026-01-01 03:00 Thu"),
        ("0 3 * * *", "2026-01-01 03:00:00", "2026-01-02 03:00 Fri"),  # strictly after
        ("0 3 * * *", "2026-12-31 04:00:00", "2027-01-01 03:00 Fri"),
        ("*/15 * * * *", "2026-01-01 10:07:00", "2026-01-01 10:15 Thu"),
        ("5/20 * * * *", "2026-01-01 10:26:00", "2026-01-01 10:45 Thu"),
        ("0 9-17/4 * * *", "2026-01-01 14:00:00", "2026-01-01 17:00 Thu"),
        ("30 2 * * MON-FRI", "2026-01-02 03:00:00", "2026-01-05 02:30 Mon"),
        ("0 0 * * 7", "2026-01-01 00:00:00", "2026-01-04 00:00 Sun"),  # 7 is Sunday
        ("0 0 13 * 5", "2026-01-01 00:00:00", "2026-01-02 00:00 Fri"),  # both restricted: either
        ("0 0 */10 * 5", "2026-01-01 00:00:00", "2026-05-01 00:00 Fri"),  # * first: both must match
        ("0 0 1,15 feb *", "2026-01-20 00:00:00", "2026-02-01 00:00 Sun"),
        ("0 0 29 2 *", "2026-03-01 00:00:00", "2028-02-29 00:00 Tue"),
        ("@hourly", "2026-01-01 10:00:00", "2026-01-01 11:00 Thu"),
        ("@weekly", "2026-01-01 00:00:00", "2026-01-04 00:00 Sun"),
    ],
)
def test_next_fire(expression: str, after: str, expected: str) -> None:
    assert fire(expression, after) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 3 * *", "needs 5 fields"),
        ("", "needs 5 fields"),
        ("60 * * * *", "minute: '60' is outside 0-59"),
        ("0 24 * * *", "hour"),
        ("0 0 0 * *", "day of month"),
        ("0 0 * 13 *", "month"),
        ("0 0 * * 8", "day of week"),
        ("5-1 * * * *", "reversed"),
        ("*/0 * * * *", "step must be at least 1"),
        ("x * * * *", "'x' is not a number"),
        ("0 0 * * FUN", "'FUN' is not a number"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6,9,11 *", "never fires"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cron(expression)


def test_every_minute_fires_on_the_next_whole_minute() -> None:
    assert next_fire(parse_cron("* * * * *"), ms("2026-01-01 10:00:00") + 1) == ms("2026-01-01 10:01:00")
