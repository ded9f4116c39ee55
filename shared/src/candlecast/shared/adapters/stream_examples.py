"""One real instance of every message, for docs/streams.md (`stream_docs.py`).

All of one story: BTCUSDT 5m bars up to the one opening at `TS`, that bar's feature row (the
`seed` set, computed by the real kernel), a prediction after it, and the model that made it.
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
from pydantic import TypeAdapter

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import GROUP_FEATURES, Keys
from candlecast.shared.core.entries import Entry, Origin, decode
from candlecast.shared.core.features import CORE, SEED, compute
from candlecast.shared.core.messages import (
    BarClosed,
    DeadLettered,
    DriftDetected,
    FeatureDrift,
    FeaturesComputed,
    Message,
    ModelLoaded,
    ModelMetrics,
    ModelPromoted,
    ModelRefused,
    ModelRejected,
    OhlcBand,
    OhlcStep,
    PredictionMade,
    PromoteModel,
    ResetSeries,
    RetrainModel,
    RollbackModel,
    ScoresUpdated,
    TrainingFailed,
    TrainingProgress,
)

SYMBOL = "BTCUSDT"
TIMEFRAME = "5m"
BAR_MS = 300_000
TS = 1735603200000  # 2024-12-31T00:00:00Z, the open of the newest bar
N_BARS = 60  # the seed set's warm-up is 50 bars
VERSION = "20261123T140715424Z-d4c4f0"
EARLIER = "20261116T140702113Z-91be07"
REQUEST = "3f2a9c01d4e5b6a7"
SHA256 = hashlib.sha256(b"candlecast example booster").hexdigest()
REPLICA = "predictor-1"


def bars() -> list[BarClosed]:
    """A smooth, deterministic BTCUSDT series (no random numbers, so the docs never drift)."""
    out: list[BarClosed] = []
    previous = 93_950.0
    for i in range(N_BARS):
        close = round(94_000 + 400 * math.sin(i / 6) + 15 * i, 2)
        high = round(max(previous, close) + 12.5 + 3 * (i % 7), 2)
        low = round(min(previous, close) - 10 - 2 * (i % 5), 2)
        volume = round(20 + 8 * math.sin(i / 3) ** 2 + i % 4, 3)
        ts = TS - (N_BARS - 1 - i) * BAR_MS
        out.append(
            BarClosed(
                symbol=SYMBOL,
                timeframe=TIMEFRAME,
                ts=ts,
                open=previous,
                high=high,
                low=low,
                close=close,
                volume=volume,
            )
        )
        previous = close
    return out


def feature_row(series: list[BarClosed]) -> FeaturesComputed:
    """The newest bar's row of the `seed` set, from the real kernel, rounded to 8 significant digits."""
    rows = compute(Bars.from_messages(series), SEED)
    values = [float(f"{v:.8g}") for v in np.asarray(rows.values[-1]).tolist()]
    last = series[-1]
    return FeaturesComputed(
        symbol=SYMBOL,
        timeframe=TIMEFRAME,
        ts=int(rows.ts[-1]),
        feature_set=SEED.id,
        values=values,
        close=last.close,
    )


def prediction(close: float) -> PredictionMade:
    """After the bar at TS closed: P(up) one bar ahead and a 3-bar path with its 80% band."""
    steps: list[OhlcStep] = []
    open_ = close
    for k in (1, 2, 3):
        mid = round(close * (1 + 0.0004 * k), 2)
        spread = close * 0.0012 * math.sqrt(k)
        high, low = round(max(open_, mid) + spread / 2, 2), round(min(open_, mid) - spread / 2, 2)
        lower = OhlcBand(
            open=round(open_ - spread / 3, 2),
            high=round(high - spread, 2),
            low=round(low - spread, 2),
            close=round(mid - spread, 2),
        )
        upper = OhlcBand(
            open=round(open_ + spread / 3, 2),
            high=round(high + spread, 2),
            low=round(low + spread, 2),
            close=round(mid + spread, 2),
        )
        steps.append(
            OhlcStep(ts=TS + k * BAR_MS, open=open_, high=high, low=low, close=mid, lower=lower, upper=upper)
        )
        open_ = mid
    return PredictionMade(
        symbol=SYMBOL,
        timeframe=TIMEFRAME,
        ts=TS,
        horizon=1,
        prob_up=0.5731,
        forecast=steps,
        model_version=VERSION,
        produced_at=TS + BAR_MS + 412,
    )


def dead_letter() -> DeadLettered:
    """What the features service really writes for a bar whose high is below its close."""
    bad = {
        "symbol": SYMBOL,
        "timeframe": TIMEFRAME,
        "ts": TS,
        "open": 1.0,
        "high": 0.9,
        "low": 0.8,
        "close": 1.0,
        "volume": 5.0,
    }
    entry = Entry(f"{TS + BAR_MS + 20}-0", json.dumps(bad, separators=(",", ":")).encode())
    origin = Origin(stream=Keys().bars, group=GROUP_FEATURES, service="features")
    return decode([entry], TypeAdapter(BarClosed), origin, TS + BAR_MS + 37).dead[0]


def model_promoted() -> ModelPromoted:
    metrics = ModelMetrics(
        log_loss=0.6871,
        brier=0.2467,
        auc=0.5702,
        ece=0.0143,
        baseline_log_loss=0.6929,
        baseline_brier=0.2499,
        n_train=48_000,
        n_holdout=12_000,
    )
    return ModelPromoted(
        request_id=REQUEST, version=VERSION, sha256=SHA256, feature_set=CORE.id, horizon=1, metrics=metrics
    )


def scores() -> ScoresUpdated:
    return ScoresUpdated(
        symbol=SYMBOL,
        timeframe=TIMEFRAME,
        model_version=VERSION,
        horizon=1,
        n=500,
        log_loss=0.6874,
        brier=0.2468,
        hit_rate=0.548,
        ece=0.021,
        base_rate=0.506,
        coverage=0.79,
        steps_scored=5988,
        through_ts=TS - BAR_MS,
        at=TS + BAR_MS + 951,
    )


def drift() -> DriftDetected:
    shifted = [
        FeatureDrift(name=name, psi=psi) for name, psi in zip(CORE.names[:3], (0.41, 0.33, 0.27), strict=True)
    ]
    return DriftDetected(
        model_version=VERSION,
        timeframe=TIMEFRAME,
        window_rows=2000,
        threshold=0.25,
        max_psi=0.41,
        features=shifted,
        at=TS + BAR_MS + 980,
    )


def examples() -> dict[str, Message]:
    series = bars()
    built: list[Message] = [
        series[-1],
        ResetSeries(symbol=SYMBOL, timeframe=TIMEFRAME),
        feature_row(series),
        prediction(series[-1].close),
        scores(),
        RetrainModel(request_id=REQUEST, symbols=[SYMBOL, "ETHUSDT"], timeframe=TIMEFRAME, trials=100),
        PromoteModel(request_id=REQUEST, version=VERSION),
        RollbackModel(request_id=REQUEST),
        model_promoted(),
        ModelRejected(
            request_id=REQUEST, version=VERSION, reason="log loss 0.6934 is not below the base rate's 0.6929"
        ),
        TrainingProgress(
            request_id=REQUEST,
            stage="tune",
            detail="trial 12/100, best log loss 0.68713",
            trial=12,
            trials=100,
            best_value=0.68713,
        ),
        TrainingFailed(request_id=REQUEST, error="no bars for BTCUSDT 5m in the bar store"),
        ModelRefused(version=VERSION, consumer=REPLICA, reason="sha256 of booster.txt does not match"),
        ModelLoaded(version=VERSION, sha256=SHA256, consumer=REPLICA, at=TS + BAR_MS + 388),
        drift(),
        dead_letter(),
    ]
    return {type(message).__name__: message for message in built}


# Printed before a message's example.
NOTES = {
    "FeaturesComputed": [
        (
            "The example uses the 5-feature `seed` set so it stays short (values rounded to 8 digits); "
            f"the default set, `core`, gives {len(CORE.names)} values in the same shape. Names: see "
            "[Feature names](#feature-names)."
        ),
        "",
    ],
    "RollbackModel": ["An empty `version` restores the champion before the current one.", ""],
}
