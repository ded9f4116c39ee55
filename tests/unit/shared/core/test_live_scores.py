"""Live scores: predictions meet the bars that came true, in either order, and are scored once."""

from __future__ import annotations

import math

import numpy as np

from candlecast.shared.core.live_scores import Outcome, Series, Window
from candlecast.shared.core.messages import OhlcBand, OhlcStep, PredictionMade
from candlecast.shared.core.scoring import ece

TF = 300_000


def band(low: float, high: float) -> tuple[OhlcBand, OhlcBand]:
    return OhlcBand(open=low, high=low, low=low, close=low), OhlcBand(
        open=high, high=high, low=high, close=high
    )


def prediction(
    ts: int, prob: float, horizon: int = 1, bands: tuple[tuple[float, float], ...] = ()
) -> PredictionMade:
    steps = []
    for k, (low, high) in enumerate(bands, start=1):
        lower, upper = band(low, high)
        mid = (low + high) / 2
        steps.append(
            OhlcStep(ts=ts + k * TF, open=mid, high=mid, low=mid, close=mid, lower=lower, upper=upper)
        )
    return PredictionMade(
        symbol="AAA", timeframe="5m", ts=ts, horizon=horizon, prob_up=prob, forecast=steps,
        model_version="v1", produced_at=0,
    )  # fmt: skip


def test_a_prediction_waits_for_its_bars_then_is_scored_with_its_band() -> None:
    s = Series(TF)
    assert s.add_close(0, 100.0) == []
    assert s.add_prediction(prediction(0, 0.7, horizon=2, bands=((99.0, 101.0), (95.0, 99.0)))) == []
    assert s.add_close(TF, 100.5) == [], "horizon 2: one bar is not enough"
    (scored,) = s.add_close(2 * TF, 101.0)
    assert scored == Outcome("v1", 2, 0, 0.7, up=True, inside=(True, False)), (
        "101 > 100; 100.5 inside, 101 outside"
    )
    assert not s.waiting


def test_bars_that_came_first_score_a_late_prediction_at_once() -> None:
    s = Series(TF)
    for i, close in enumerate((100.0, 99.0, 98.0)):
        s.add_close(i * TF, close)
    (scored,) = s.add_prediction(prediction(TF, 0.4))
    assert (scored.ts, scored.up, scored.inside) == (TF, False, ())


def test_a_missing_bar_drops_the_prediction_instead_of_keeping_it_forever() -> None:
    s = Series(TF)
    s.add_close(0, 100.0)
    s.add_prediction(prediction(0, 0.6, horizon=1))
    assert s.add_close(2 * TF, 101.0) == [], "bar TF never came"
    assert not s.waiting


def test_window_scores_match_the_definitions_and_drop_the_oldest() -> None:
    w = Window(size=4)
    probs, ups = [0.9, 0.2, 0.6, 0.3, 0.8], [True, False, False, True, True]
    for i, (prob, up) in enumerate(zip(probs, ups, strict=True)):
        assert w.add(Outcome("v1", 1, i, prob, up=up, inside=(up,)))
    s = w.scores()
    p, y = np.array(probs[1:]), np.array(ups[1:], dtype=float)
    assert s.n == 4
    assert math.isclose(s.log_loss, float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))))
    assert math.isclose(s.brier, float(np.mean((p - y) ** 2)))
    assert s.hit_rate == 0.5, "0.2 and 0.8 on the right side of 0.5; 0.6 and 0.3 not"
    assert math.isclose(s.ece, ece(y, p))
    assert (s.base_rate, s.coverage, s.steps_scored, s.through_ts) == (0.5, 0.5, 4, 4)


def test_a_redelivered_outcome_is_counted_once() -> None:
    w = Window(size=10)
    assert w.add(Outcome("v1", 1, 7, 0.6, up=True, inside=()))
    assert not w.add(Outcome("v1", 1, 7, 0.6, up=True, inside=()))
    assert w.scores().n == 1
    assert w.scores().coverage is None
