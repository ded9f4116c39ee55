"""A symbol is letters, digits and `._-:` only: nothing else can reach a Redis key or a file name."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from candlecast.shared.core.messages import BarClosed


def bar(symbol: str) -> BarClosed:
    return BarClosed(symbol=symbol, ts=1, open=1, high=1, low=1, close=1, volume=0)


@pytest.mark.parametrize("symbol", ["BTCUSDT", "BTC-USDT:PERP", "eth.usd", "1000PEPE"])
def test_accepted(symbol: str) -> None:
    assert bar(symbol).symbol == symbol


@pytest.mark.parametrize("symbol", ["*", "BTC USDT", "BTC/USDT", "a{b}", "é", "x\n", ""])
def test_refused(symbol: str) -> None:
    with pytest.raises(ValidationError):
        bar(symbol)
