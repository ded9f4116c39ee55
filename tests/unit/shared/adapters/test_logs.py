"""Log lines as JSON: one object per line, with the traceback when there is one."""

from __future__ import annotations

import json
import logging
import sys

from candlecast.shared.adapters.logs import JsonFormatter


def fail() -> None:
    raise ValueError("bad bar")


def record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            fail()
        except ValueError:
            exc_info = sys.exc_info()
    rec = logging.LogRecord("candlecast.features", logging.WARNING, __file__, 1, message, args, exc_info)
    rec.created = 1_767_225_600.25  # 2026-01-01T00:00:00.250Z
    return rec


def test_a_line_is_one_json_object_with_time_level_logger_and_message() -> None:
    line = JsonFormatter().format(record("dead-lettered %s of %s: %s", "1-0", "bars", 'a "quoted"\nreason'))
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-01-01T00:00:00.250+00:00",
        "level": "WARNING",
        "logger": "candlecast.features",
        "message": 'dead-lettered 1-0 of bars: a "quoted"\nreason',
    }


def test_a_traceback_goes_in_exc_info() -> None:
    parsed = json.loads(JsonFormatter().format(record("consuming failed", exc=True)))
    assert parsed["message"] == "consuming failed"
    assert parsed["exc_info"].startswith("Traceback")
    assert parsed["exc_info"].endswith("ValueError: bad bar")
