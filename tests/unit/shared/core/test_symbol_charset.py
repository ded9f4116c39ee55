"""A symbol is letters, digits and `._-:` only: nothing else can reach a Redis key or a file name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from candlecast.shared.core.messages import BarClosed, stream_symbol


def bar(symbol: str) -> BarClosed:
    return BarClosed(symbol=symbol, ts=1, open=1, high=1, low=1, close=1, volume=0)


@pytest.mark.parametrize("symbol", ["BTCUSDT", "BTC-USDT:PERP", "eth.usd", "1000PEPE"])
def test_accepted(symbol: str) -> None:
    assert bar(symbol).symbol == symbol


@pytest.mark.parametrize("symbol", ["*", "BTC USDT", "BTC/USDT", "a{b}", "é", "x\n", ""])
def test_refused(symbol: str) -> None:
    with pytest.raises(ValidationError):
        bar(symbol)


@pytest.mark.parametrize(
    ("spelling", "symbol"),
    [
        ("BTC/USDT", "BTCUSDT"),
        ("BTC/USDT:USDT", "BTCUSDT:USDT"),
        ("BTCUSDT", "BTCUSDT"),
        (" ETH/BTC ", "ETHBTC"),
    ],
)
def test_exchange_spelling_becomes_the_stream_symbol(spelling: str, symbol: str) -> None:
    assert stream_symbol(spelling) == symbol
    assert bar(stream_symbol(spelling)).symbol == symbol


def test_only_the_slash_is_dropped_other_bad_characters_are_still_refused() -> None:
    with pytest.raises(ValidationError):
        bar(stream_symbol("BTC USDT/*"))
