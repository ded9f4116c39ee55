"""Predictions in your own process, without Redis: the predictor's model and code as a library.

    from candlecast.shared.adapters.library import Predictor

    predictor = Predictor.from_registry(".candlecast")  # follows the champion
    p_up = predictor.predict_proba_up({"rvol_20": 0.0012, ...})

`Predictor` loads lazily: the first call reads the model's files and checks every checksum
(model.json against the card and the champion pointer, the booster and forecaster against
model.json), once, under a lock. It then runs the shared core the predictor service runs
(`UpModel.predict_proba`, `forecast.fast_price_paths`), so its numbers are the service's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from candlecast.shared.adapters.file_registry import FileModelStore
from candlecast.shared.adapters.model_files import read_checked
from candlecast.shared.adapters.numba_cache import clear_stale_cache
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.constants import CARD_FILE, MODELS_DIR
from candlecast.shared.core.features import compute, get_feature_set
from candlecast.shared.core.forecast import PricePaths, fast_price_paths
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.predictions import BarPrediction, ForecastPath, MissingFeaturesError
from candlecast.shared.core.timeframes import timeframe_ms

Loader = Callable[[], tuple[UpModel, ModelCard]]

__all__ = ["BarPrediction", "ForecastPath", "MissingFeaturesError", "Predictor"]


class Predictor:
    """A thread-safe, lazily loaded model: P(up) and price paths from feature rows or bars."""

    def __init__(self, loader: Loader, follows_champion: bool = False) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self._loaded: tuple[UpModel, ModelCard] | None = None
        self.follows_champion = follows_champion

    @classmethod
    def from_registry(cls, home: Path | str, version: str | None = None) -> Predictor:
        """A registry's version, or (None) its champion when first used and at each `reload()`."""
        root = Path(home)
        if not (root / MODELS_DIR).is_dir():
            raise FileNotFoundError(f"no model registry at {root} (expected {root / MODELS_DIR})")

        def load() -> tuple[UpModel, ModelCard]:
            store = FileModelStore(root)
            chosen = version or store.champion()
            if chosen is None:
                raise LookupError(f"the registry at {root} has no champion yet")
            return store.load(chosen)

        return cls(load, follows_champion=version is None)

    @classmethod
    def from_folder(cls, folder: Path | str) -> Predictor:
        """One model's folder (card.json + model files), e.g. from `candlecast train --out`."""
        path = Path(folder)

        def load() -> tuple[UpModel, ModelCard]:
            try:
                card = ModelCard.model_validate_json((path / CARD_FILE).read_bytes())
            except FileNotFoundError:
                raise FileNotFoundError(f"{path} has no {CARD_FILE}") from None
            return read_checked(path, card, card.version), card

        return cls(load)

    def _get(self) -> tuple[UpModel, ModelCard]:
        loaded = self._loaded
        if loaded is not None:
            return loaded
        with self._lock:
            if self._loaded is None:
                self._loaded = self._loader()
            return self._loaded

    def reload(self) -> str:
        """Read the model again (a registry's current champion, if following it); returns its version.

        Calls in other threads keep the previous model until the new one is loaded and verified.
        """
        with self._lock:
            self._loaded = self._loader()
            return self._loaded[1].version

    @property
    def model(self) -> UpModel:
        return self._get()[0]

    @property
    def card(self) -> ModelCard:
        return self._get()[1]

    @property
    def version(self) -> str:
        return self.card.version

    @property
    def feature_names(self) -> tuple[str, ...]:
        """Columns of `predict_proba_up_batch`'s matrix, in order."""
        return self.model.feature_names

    @property
    def steps(self) -> int:
        """Bars the forecast covers (0: this model has no forecaster)."""
        f = self.model.forecaster
        return 0 if f is None else f.steps

    def row(self, features: Mapping[str, float] | ArrayLike) -> np.ndarray:
        """One (1, k) feature row: from a name -> value mapping, or values in `feature_names` order."""
        names = self.feature_names
        if isinstance(features, Mapping):
            missing = [n for n in names if n not in features]
            if missing:
                raise MissingFeaturesError(missing, len(names))
            features = [features[n] for n in names]
        x = np.asarray(features, dtype=np.float64)
        if x.shape != (len(names),):
            raise ValueError(f"expected {len(names)} feature values, got shape {x.shape}")
        return x.reshape(1, -1)

    def predict_proba_up(self, features: Mapping[str, float] | ArrayLike) -> float:
        """Calibrated P(close[t + horizon] > close[t]) for one bar's features."""
        return float(self.model.predict_proba(self.row(features))[0])

    def predict_proba_up_batch(self, X: ArrayLike) -> np.ndarray:
        """Calibrated P(up) per row of an (n, k) matrix with columns in `feature_names` order."""
        return self.model.predict_proba(np.asarray(X, dtype=np.float64))

    def forecast(
        self, features: Mapping[str, float] | ArrayLike, last_close: float, last_ts: int
    ) -> ForecastPath:
        """The next `steps` bars after the bar opening at `last_ts` (closing at `last_close`)."""
        paths = self.forecast_batch(self.row(features), [last_close], [last_ts])
        return ForecastPath(paths.ts[0], paths.median[0], paths.lower[0], paths.upper[0])

    def forecast_batch(self, X: ArrayLike, last_close: ArrayLike, last_ts: ArrayLike) -> PricePaths:
        """Paths for many rows at once: arrays of (n, steps) bar opens and (n, steps, 4) prices."""
        model = self.model
        if model.forecaster is None:
            raise LookupError(f"model {self.version} has no forecaster (trained with forecasts off)")
        x = np.asarray(X, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != model.n_features:
            raise ValueError(f"expected shape (n, {model.n_features}), got {x.shape}")
        close = np.asarray(last_close, dtype=np.float64).reshape(-1)
        ts = np.asarray(last_ts, dtype=np.int64).reshape(-1)
        if not close.shape == ts.shape == (x.shape[0],):
            raise ValueError(f"need one last_close and last_ts per row ({x.shape[0]})")
        return fast_price_paths(model.forecaster, x, close, ts, timeframe_ms(model.timeframe))

    def predict_bars(self, bars: Bars) -> BarPrediction:
        """P(up) and path for the last of `bars` (one series, oldest first, with warm-up history).

        Its features come from the features service's kernel (`core.features.compute`).
        """
        model = self.model
        feature_set = get_feature_set(model.feature_set.name)
        if feature_set.hash != model.feature_set.hash:
            raise ValueError(
                f"model {self.version} was trained on feature set {model.feature_set.hash}, "
                f"this code computes {feature_set.name} as {feature_set.hash}"
            )
        if bars.timeframe != model.timeframe:
            raise ValueError(f"bars are {bars.timeframe}, model {self.version} is {model.timeframe}")
        clear_stale_cache()
        rows = compute(bars, feature_set)
        if not len(rows) or int(rows.ts[-1]) != int(bars.ts[-1]):
            raise ValueError("no feature row for the last bar: give more history (warm-up) without long gaps")
        values = dict(zip(rows.names, rows.values[-1].tolist(), strict=True))
        x = self.row(values)
        last_close, last_ts = float(bars.close[-1]), int(bars.ts[-1])
        path = self.forecast(x[0], last_close, last_ts) if model.forecaster is not None else None
        return BarPrediction(ts=last_ts, prob_up=self.predict_proba_up(x[0]), forecast=path)
