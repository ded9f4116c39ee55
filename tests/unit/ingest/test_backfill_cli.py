"""`candlecast backfill`'s argument parsing: dates in UTC, the exchange config as a JSON object."""

from __future__ import annotations

import pytest
import typer

from candlecast.ingest.backfill_cli import parse_config, parse_when
from candlecast.ingest.cli import symbol_names


def test_dates_are_utc_unless_they_say_otherwise() -> None:
    assert parse_when("2026-01-01") == 1_767_225_600_000
    assert parse_when("2026-01-01T01:00") == 1_767_225_600_000 + 3_600_000
    assert parse_when("2026-01-01T01:00+01:00") == 1_767_225_600_000
    assert parse_when("1767225600000") == 1_767_225_600_000
    with pytest.raises(typer.BadParameter):
        parse_when("yesterday")


def test_the_exchange_config_must_be_a_json_object() -> None:
    assert parse_config('{"options": {"fetchMarkets": ["spot"]}}') == {"options": {"fetchMarkets": ["spot"]}}
    for bad in ("[1]", "{nope"):
        with pytest.raises(typer.BadParameter):
            parse_config(bad)


def test_symbols_are_comma_separated_and_at_least_one() -> None:
    assert symbol_names(" BTC/USDT, ETH/USDT,") == ["BTC/USDT", "ETH/USDT"]
    for bad in ("", " , "):
        with pytest.raises(typer.BadParameter, match="at least one symbol"):
            symbol_names(bad)
