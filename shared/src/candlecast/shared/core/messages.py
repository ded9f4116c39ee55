"""Every message on candlecast's streams: events name facts, commands give orders.

Each entry on a stream holds one of these as a single JSON document in the
field `__data__`, so any Redis client can read and write them.
"""

from __future__ import annotations

import math
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1
FEATURES_SCHEMA_VERSION = 2  # FeaturesComputed: values as an array in the feature set's order

SYMBOL_PATTERN = r"^[A-Za-z0-9._:-]+$"  # also safe inside Redis key names and file names
Symbol = Annotated[
    str, Field(min_length=1, max_length=40, pattern=SYMBOL_PATTERN, examples=["BTCUSDT", "BTC-USDT:PERP"])
]


def stream_symbol(symbol: str) -> str:
    """The symbol on candlecast's streams and keys: exchange (ccxt) spelling `BTC/USDT` becomes `BTCUSDT`."""
    return symbol.strip().replace("/", "")


Timeframe = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,3}[smhdw]$", examples=["5m"])]
MAX_TS_MS = 2**53  # exact in a JSON double and in int64
MAX_HORIZON = 500
DEFAULT_TRIALS = 200
MAX_TRIALS = 5_000
MAX_SYMBOLS = 1_000  # most symbols one command may name (Settings.max_symbols' default)
MAX_ID_CHARS = 200  # request ids and model versions
RequestId = Annotated[
    str,
    Field(
        max_length=MAX_ID_CHARS,
        description="Echoed by every event about this command",
        examples=["3f2a9c01d4e5b6a7"],
    ),
]
TsMs = Annotated[
    int, Field(ge=0, le=MAX_TS_MS, description="UTC epoch milliseconds", examples=[1735603200000])
]


class Message(BaseModel):
    """Base: frozen and versioned; unknown fields are ignored, so older readers accept newer messages."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    schema_version: int = Field(
        default=SCHEMA_VERSION,
        ge=1,
        description="Message schema version; readers ignore fields they don't know.",
    )


class BarClosed(Message):
    """One closed OHLCV bar."""

    symbol: Symbol = Field(description="Instrument, e.g. BTCUSDT")
    timeframe: Timeframe = Field(default="5m", description="Bar length")
    ts: TsMs = Field(description="UTC epoch ms of the bar's open")
    open: float = Field(description="First trade price")
    high: float = Field(description="Highest trade price")
    low: float = Field(description="Lowest trade price")
    close: float = Field(description="Last trade price")
    volume: float = Field(description="Traded base volume")

    @model_validator(mode="after")
    def _valid_bar(self) -> BarClosed:
        problem = bar_problem(self.open, self.high, self.low, self.close, self.volume)
        if problem:
            raise ValueError(problem)
        return self


def bar_problem(open_: float, high: float, low: float, close: float, volume: float) -> str | None:
    """Why a bar is impossible, or None when it is valid."""
    values = (open_, high, low, close, volume)
    if not all(math.isfinite(v) for v in values):
        return "non-finite value"
    if min(open_, high, low, close) <= 0:
        return "prices must be positive"
    if not low <= min(open_, close) <= max(open_, close) <= high:
        return "need low <= min(open, close) <= max(open, close) <= high"
    if volume < 0:
        return "volume must be >= 0"
    return None


class ResetSeries(Message):
    """An operator's order on `bars`: the features worker forgets a series' state at this point.

    It travels on `bars`, so it lands in order with the series' bars and only the
    worker that owns the series acts on it (safe while the worker runs).
    """

    command: Literal["reset_series"] = Field(default="reset_series", description="Command discriminator")
    symbol: Symbol = Field(description="Instrument")
    timeframe: Timeframe = Field(default="5m", description="Bar length")


class FeatureSetId(BaseModel):
    """Which feature definitions produced a row (or a model was trained on)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Feature set name", examples=["core"])
    version: int = Field(ge=1, description="Feature set version")
    hash: str = Field(description="sha256 prefix of the feature definitions", examples=["3f2a9c01d4e5b6a7"])


class FeaturesComputed(Message):
    """Feature values for one closed bar, computed with only that bar and earlier ones."""

    symbol: Symbol = Field(description="Instrument")
    timeframe: Timeframe = Field(description="Bar length")
    ts: TsMs = Field(description="UTC epoch ms of the bar's open")
    schema_version: int = Field(
        default=FEATURES_SCHEMA_VERSION,
        ge=1,
        description="2: `values` is an array in the feature set's order (1: an object of name to value)",
    )
    feature_set: FeatureSetId = Field(description="Definitions that produced `values`")
    values: list[float] = Field(
        description=(
            "Feature values in the feature set's order; the names, once per feature set: "
            "`HGET {prefix}feature_sets {feature_set.hash}` (and the README)"
        )
    )
    close: float = Field(gt=0, description="The bar's close, for forecasts in price units")


class OhlcBand(BaseModel):
    """One edge of a forecast bar's band: a quantile of each of its prices."""

    model_config = ConfigDict(frozen=True)

    open: float
    high: float
    low: float
    close: float


class OhlcStep(BaseModel):
    """One forecast bar: median prices, and the band's lower and upper quantiles."""

    model_config = ConfigDict(frozen=True)

    ts: TsMs = Field(description="UTC epoch ms of the forecast bar's open")
    open: float = Field(description="Forecast open (median)")
    high: float = Field(description="Forecast high (median)")
    low: float = Field(description="Forecast low (median)")
    close: float = Field(description="Forecast close (median)")
    lower: OhlcBand | None = Field(default=None, description="Lower quantile of each price (e.g. 0.1)")
    upper: OhlcBand | None = Field(default=None, description="Upper quantile of each price (e.g. 0.9)")


class PredictionMade(Message):
    """The champion's view of one symbol after one closed bar."""

    symbol: Symbol = Field(description="Instrument")
    timeframe: Timeframe = Field(description="Bar length")
    ts: TsMs = Field(description="UTC epoch ms of the bar the prediction was made after")
    horizon: int = Field(ge=1, description="Bars ahead the probability refers to")
    prob_up: float = Field(ge=0, le=1, description="P(close[t+horizon] > close[t])")
    forecast: list[OhlcStep] = Field(default_factory=list, description="Next bars' OHLC; may be empty")
    model_version: str = Field(description="Registry version of the model that made it")
    produced_at: TsMs = Field(description="UTC epoch ms when the predictor published it")


class ScoresUpdated(Message):
    """How one model has done on one series lately: its predictions scored against the bars."""

    event: Literal["scores_updated"] = "scores_updated"
    symbol: Symbol = Field(description="Instrument")
    timeframe: Timeframe = Field(description="Bar length")
    model_version: str = Field(description="Registry version of the model scored")
    horizon: int = Field(ge=1, description="Bars ahead its probabilities refer to")
    n: int = Field(ge=1, description="Predictions scored in the rolling window")
    log_loss: float = Field(description="Mean log loss of P(up) over the window")
    brier: float = Field(description="Mean Brier score over the window")
    hit_rate: float = Field(description="Share of predictions on the right side of 0.5")
    ece: float = Field(description="Expected calibration error (15 equal-width bins)")
    base_rate: float = Field(description="Share of ups in the window (the base rate's own log loss follows)")
    coverage: float | None = Field(
        description="Share of forecast closes inside the served band; null without bands"
    )
    steps_scored: int = Field(ge=0, description="Forecast steps behind `coverage`")
    through_ts: TsMs = Field(description="ts of the newest prediction in the window")
    at: TsMs = Field(description="UTC epoch ms when these scores were computed")


class RetrainModel(Message):
    """Order the trainer to fit, evaluate and (maybe) promote a new model."""

    command: Literal["retrain"] = Field(default="retrain", description="Command discriminator")
    request_id: RequestId = Field(default_factory=lambda: uuid.uuid4().hex)
    symbols: list[Symbol] = Field(
        default_factory=list,
        max_length=MAX_SYMBOLS,
        description="Symbols to train on; empty means the trainer's configured symbols",
    )
    timeframe: Timeframe = Field(default="5m", description="Bar length")
    horizon: int = Field(default=1, ge=1, le=MAX_HORIZON, description="Label horizon in bars")
    trials: int = Field(default=DEFAULT_TRIALS, ge=1, le=MAX_TRIALS, description="Optuna tuning trials")
    force: bool = Field(default=False, description="Promote even when the gate would reject (operators only)")
    snapshot: str | None = Field(
        default=None,
        max_length=1_000,
        description="Train on this snapshot (its directory, or its id under $CANDLECAST_HOME/snapshots) "
        "instead of the bar store",
        examples=["20260101T000000000Z-ab12cd"],
    )


class PromoteModel(Message):
    """Order the trainer to make a saved version champion (no gate: the operator decides)."""

    command: Literal["promote"] = Field(default="promote", description="Command discriminator")
    request_id: RequestId = Field(default_factory=lambda: uuid.uuid4().hex)
    version: str = Field(min_length=1, max_length=MAX_ID_CHARS, description="Version to promote")


class RollbackModel(Message):
    """Order the trainer to make an earlier version champion again."""

    command: Literal["rollback"] = Field(default="rollback", description="Command discriminator")
    request_id: RequestId = Field(default_factory=lambda: uuid.uuid4().hex)
    version: str = Field(
        default="",
        max_length=MAX_ID_CHARS,
        description="Version to restore; empty means the champion before the current one",
    )


Command = Annotated[RetrainModel | PromoteModel | RollbackModel, Field(discriminator="command")]


class ModelMetrics(BaseModel):
    """Holdout scores of a model and of the naive baseline on the same rows."""

    model_config = ConfigDict(frozen=True)

    log_loss: float = Field(description="Model log loss on the holdout")
    brier: float = Field(description="Model Brier score on the holdout")
    auc: float | None = Field(description="Model ROC AUC on the holdout (None: one class only)")
    ece: float = Field(description="Expected calibration error (card v2: 15 bins)")
    baseline_log_loss: float = Field(description="Log loss of the constant base-rate forecast")
    baseline_brier: float = Field(description="Brier score of the constant base-rate forecast")
    n_train: int = Field(ge=0, description="Training rows")
    n_holdout: int = Field(ge=0, description="Holdout rows")


class ModelPromoted(Message):
    """A new champion is in the registry."""

    event: Literal["model_promoted"] = "model_promoted"
    request_id: str = Field(description="The command that caused it ('' when none)")
    version: str = Field(description="Registry version, sortable by time")
    sha256: str = Field(description="sha256 of the model artifact")
    feature_set: FeatureSetId = Field(description="Features the model expects")
    horizon: int = Field(ge=1, description="Label horizon in bars")
    metrics: ModelMetrics = Field(description="Holdout scores")


class ModelRejected(Message):
    """A trained candidate was not promoted."""

    event: Literal["model_rejected"] = "model_rejected"
    request_id: str = Field(description="The command that caused it")
    version: str = Field(description="The candidate's version")
    reason: str = Field(description="Why it was not promoted")


class TrainingProgress(Message):
    """A step of a training run."""

    event: Literal["training_progress"] = "training_progress"
    request_id: str = Field(description="The command being served")
    stage: str = Field(description="What the trainer is doing", examples=["dataset", "fit", "evaluate"])
    detail: str = Field(default="", description="Human-readable detail")
    trial: int | None = Field(default=None, ge=1, description="Tuning: number of the trial just finished")
    trials: int | None = Field(default=None, ge=1, description="Tuning: trials planned")
    best_value: float | None = Field(
        default=None, description="Tuning: best objective so far (lower is better, e.g. log loss)"
    )


class TrainingFailed(Message):
    """A training run stopped with an error."""

    event: Literal["training_failed"] = "training_failed"
    request_id: str = Field(description="The command that failed")
    error: str = Field(description="What went wrong")


class ModelRefused(Message):
    """A predictor refused to load a promoted model and keeps serving the old one."""

    event: Literal["model_refused"] = "model_refused"
    version: str = Field(description="The refused version")
    consumer: str = Field(description="Predictor replica that refused it")
    reason: str = Field(description="Why it was refused")


class ModelLoaded(Message):
    """A predictor replica now serves this version (at start-up, and after each swap)."""

    event: Literal["model_loaded"] = "model_loaded"
    version: str = Field(description="The version it serves from its next batch on")
    sha256: str = Field(description="sha256 of the loaded model artifact")
    consumer: str = Field(description="Predictor replica (its consumer name)")
    at: TsMs = Field(description="UTC epoch ms when it was swapped in")


class DeadLettered(Message):
    """A message no consumer could process, kept with the reason."""

    stream: str = Field(description="Stream the message came from")
    entry_id: str = Field(description="Its entry id on that stream")
    group: str = Field(description="Consumer group that gave up on it")
    reason: str = Field(description="Readable reason")
    payload: str = Field(
        description="The raw entry data, as text; when `truncated`, a prefix and then a "
        "'…[truncated: N bytes in all]' marker"
    )
    failed_at: TsMs = Field(description="UTC epoch ms when it was dead-lettered")
    service: str = Field(default="", description="Service that gave up on it ('' in older records)")
    deliveries: int = Field(default=1, ge=1, description="Times it was delivered before it was given up")
    size: int = Field(default=0, ge=0, description="Size of the original entry data in bytes (0: unknown)")
    truncated: bool = Field(default=False, description="True when `payload` keeps only a prefix of the data")


class FeatureDrift(BaseModel):
    """One feature's PSI over the live window."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Feature name")
    psi: float = Field(ge=0, description="Population stability index against the training rows")


class DriftDetected(Message):
    """The champion's live feature rows no longer look like its training rows (PSI above a threshold)."""

    event: Literal["drift_detected"] = "drift_detected"
    model_version: str = Field(description="The champion whose training distribution was compared")
    timeframe: Timeframe = Field(description="Bar length of the rows compared")
    window_rows: int = Field(ge=1, description="Live rows in the window (all symbols pooled)")
    threshold: float = Field(gt=0, description="PSI above which drift is reported")
    max_psi: float = Field(ge=0, description="The largest feature PSI")
    features: list[FeatureDrift] = Field(description="The 10 features with the largest PSI, largest first")
    at: TsMs = Field(description="UTC epoch ms when it was detected")


Event = Annotated[
    ModelPromoted
    | ModelRejected
    | TrainingProgress
    | TrainingFailed
    | ModelRefused
    | ModelLoaded
    | DriftDetected,
    Field(discriminator="event"),
]
