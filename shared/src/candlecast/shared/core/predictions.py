"""What the library's `Predictor` returns: one row's price path, one bar's prediction, and its errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.forecast import FIELDS
from candlecast.shared.core.messages import OhlcBand, OhlcStep


class MissingFeaturesError(ValueError):
    """A feature mapping lacks some of the model's features."""

    def __init__(self, missing: Sequence[str], wanted: int) -> None:
        self.missing = tuple(missing)
        super().__init__(
            f"missing {len(self.missing)} of the model's {wanted} features: {list(self.missing[:5])}"
        )


@dataclass(frozen=True, slots=True)
class ForecastPath:
    """The next bars of one series: open time, and (open, high, low, close) at the median and band edges."""

    ts: I64  # (steps,) UTC ms of each forecast bar's open, one bar apart
    median: F64  # (steps, 4) prices in FIELDS order: open, high, low, close
    lower: F64  # (steps, 4) the band's lower quantile (0.1 by default) of each price
    upper: F64  # (steps, 4) its upper quantile (0.9 by default)

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def steps(self) -> list[OhlcStep]:
        """As `PredictionMade.forecast` carries it."""
        return [
            OhlcStep(
                ts=t,
                **dict(zip(FIELDS, m, strict=True)),
                lower=OhlcBand(**dict(zip(FIELDS, lo, strict=True))),
                upper=OhlcBand(**dict(zip(FIELDS, hi, strict=True))),
            )
            for t, m, lo, hi in zip(
                self.ts.tolist(), self.median.tolist(), self.lower.tolist(), self.upper.tolist(), strict=True
            )
        ]


@dataclass(frozen=True, slots=True)
class BarPrediction:
    """The prediction for a series' last bar (`Predictor.predict_bars`)."""

    ts: int  # open time of the bar predicted from
    prob_up: float  # calibrated P(close[ts + horizon] > close[ts])
    forecast: ForecastPath | None  # None: the model has no forecaster
