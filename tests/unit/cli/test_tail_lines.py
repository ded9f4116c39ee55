"""`tail`'s lines: a prediction with its forecast band, a score event whatever fields it has."""

from __future__ import annotations

import json

from candlecast.cli.ops.tail import prediction_line, score_line, stream_of
from candlecast.shared.core.messages import OhlcBand, OhlcStep, PredictionMade
from candlecast.shared.settings import Settings

T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC


def step(ts: int, close: float, band: tuple[float, float] | None) -> OhlcStep:
    edges = (None, None) if band is None else (OhlcBand(open=1, high=1, low=1, close=c) for c in band)
    lower, upper = edges
    return OhlcStep(ts=ts, open=1, high=1, low=1, close=close, lower=lower, upper=upper)


def prediction(forecast: list[OhlcStep]) -> bytes:
    p = PredictionMade(
        symbol="BTCUSDT", timeframe="5m", ts=T0, horizon=3, prob_up=0.61234, forecast=forecast,
        model_version="v7", produced_at=T0,
    )  # fmt: skip
    return p.model_dump_json().encode()


def test_a_prediction_shows_the_last_forecast_step_and_its_band() -> None:
    data = prediction([step(T0 + 300_000, 100.5, (99.0, 102.0)), step(T0 + 600_000, 101.25, (98.5, 103.75))])
    assert prediction_line("1-0", data) == (
        "2025-01-01 00:00 BTCUSDT    5m P(up in 3)=0.6123  close +2: 101.25 [98.5, 103.75]  model v7"
    )


def test_a_prediction_without_forecast_or_band() -> None:
    assert prediction_line("1-0", prediction([])) == (
        "2025-01-01 00:00 BTCUSDT    5m P(up in 3)=0.6123  model v7"
    )
    assert "close +1: 100.5  model" in (prediction_line("1-0", prediction([step(T0, 100.5, None)])) or "")


def test_entries_that_are_not_predictions_are_skipped() -> None:
    assert prediction_line("1-0", b'{"symbol": "X"}') is None
    assert prediction_line("1-0", b"") is None


def test_a_full_score_event() -> None:
    event = {
        "symbol": "AAA", "model_version": "v7", "n": 120, "log_loss": 0.68123, "brier": 0.2431,
        "hit_rate": 0.55, "ece": 0.0123, "coverage": {"0.8": 0.79}, "ts": T0,
    }  # fmt: skip
    assert score_line("5-0", json.dumps(event).encode()) == (
        "2025-01-01 00:00 AAA        model v7  n 120  log_loss 0.6812  brier 0.2431  hit_rate 0.5500"
        "  ece 0.0123  coverage 0.8: 0.7900"
    )


def test_a_partial_score_event_takes_its_time_from_the_entry_id() -> None:
    line = score_line(f"{T0 + 60_000}-0", json.dumps({"symbol": "AAA", "brier": 0.25}).encode())
    assert line == "2025-01-01 00:01 AAA        model ?  brier 0.2500"
    assert score_line("1-0", b"[1, 2]") is None
    assert score_line("1-0", b"not json") is None


def test_which_stream_each_argument_follows() -> None:
    keys = Settings().keys
    assert stream_of(Settings(), None)[0] == keys.predictions
    assert stream_of(Settings(), "BTCUSDT")[0] == keys.predictions_for("BTCUSDT")
    assert stream_of(Settings(), "scores") == (f"{keys.prefix}scores", score_line)
