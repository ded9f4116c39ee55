"""Path forecasts with bands: a volatility model with empirical standardised quantiles.

`Forecaster` is the fitted, JSON-serialisable forecaster (fitted by the trainer); `quantile_paths`
and `price_paths` turn feature rows into H steps of OHLC quantiles; `fast_price_paths` is the
same result with less numpy overhead (what serving calls). Pure numpy, no booster.
"""

from candlecast.shared.core.forecast.fast import fast_price_paths
from candlecast.shared.core.forecast.model import (
    FIELDS,
    GRID,
    MAX_STEPS,
    SCALE_INPUTS,
    Forecaster,
    PricePaths,
    close_quantiles,
    coherent_table,
    price_paths,
    quantile_paths,
)

__all__ = [
    "FIELDS",
    "GRID",
    "MAX_STEPS",
    "SCALE_INPUTS",
    "Forecaster",
    "PricePaths",
    "close_quantiles",
    "coherent_table",
    "fast_price_paths",
    "price_paths",
    "quantile_paths",
]
