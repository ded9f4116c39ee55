"""The scorer on a real Redis: predictions meet their bars, rolling scores land on `scores`."""

from __future__ import annotations

import json

import pytest
from redis.asyncio import Redis

from candlecast.predictor.scorer import Scorer, ScorerSettings
from candlecast.shared.core.constants import GROUP_SCORER
from candlecast.shared.core.entries import Entry
from candlecast.shared.core.messages import BarClosed, OhlcBand, OhlcStep, PredictionMade
from tests.support.streams import delivered

pytestmark = pytest.mark.redis
TF = 300_000
CLOSES = (100.0, 101.0, 100.5, 102.0, 101.0)
PROBS = (0.8, 0.3, 0.6, 0.4)
BANDS = ((100.0, 102.0), (100.0, 102.0), (100.0, 102.0), (101.5, 103.0))  # the last misses 101


def bars() -> list[Entry]:
    return [
        Entry("0-0", BarClosed(symbol="AAA", timeframe="5m", ts=i * TF, open=c, high=c + 1, low=c - 1,
                               close=c, volume=1.0).model_dump_json().encode())
        for i, c in enumerate(CLOSES)
    ]  # fmt: skip


def predictions() -> list[Entry]:
    out = []
    for i, (p, (low, high)) in enumerate(zip(PROBS, BANDS, strict=True)):
        lower = OhlcBand(open=low, high=low, low=low, close=low)
        upper = OhlcBand(open=high, high=high, low=high, close=high)
        step = OhlcStep(ts=(i + 1) * TF, open=101, high=101, low=101, close=101, lower=lower, upper=upper)
        made = PredictionMade(symbol="AAA", timeframe="5m", ts=i * TF, horizon=1, prob_up=p,
                              forecast=[step], model_version="v1", produced_at=0)  # fmt: skip
        out.append(Entry("0-0", made.model_dump_json().encode()))
    return out


async def test_scores_come_out_once_predictions_meet_their_bars(redis_url) -> None:
    redis = Redis.from_url(redis_url)
    scorer = Scorer(redis, ScorerSettings(redis_url=redis_url, score_window=100))
    keys = scorer.keys
    await scorer.on_predictions(await delivered(redis, keys.predictions, GROUP_SCORER, predictions()))
    assert await redis.xlen(keys.scores) == 0, "no bar yet: nothing to score"
    await scorer.on_bars(await delivered(redis, keys.bars, GROUP_SCORER, bars()))
    (entry,) = await redis.xrange(keys.scores)
    scores = json.loads(entry[1][b"__data__"])
    assert (scores["symbol"], scores["model_version"], scores["horizon"], scores["n"]) == ("AAA", "v1", 1, 4)
    assert scores["hit_rate"] == 1.0, "up, down, up, down: each on the right side of 0.5"
    assert scores["coverage"] == 0.75
    assert scores["base_rate"] == 0.5
    assert scores["through_ts"] == 3 * TF
    for stream in (keys.bars, keys.predictions):
        assert (await redis.xpending(stream, GROUP_SCORER))["pending"] == 0

    await scorer.on_predictions(await delivered(redis, keys.predictions, GROUP_SCORER, predictions()))
    assert await redis.xlen(keys.scores) == 1, "the same predictions again are not scored twice"
    await redis.aclose()
