"""Every Redis key, stream, group and column name candlecast uses, in one place."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "candlecast:"

# The one entry field that carries the JSON document (FastStream always writes it).
DATA_FIELD = "__data__"

OHLCV = ("open", "high", "low", "close", "volume")
BAR_COLUMNS = ("ts", *OHLCV, "symbol")

GROUP_FEATURES = "features"
GROUP_PREDICTOR = "predictor"
GROUP_TRAINER = "trainer"
GROUP_RECORDER = "recorder"  # writes every valid bar on `bars` to the bar store
GROUP_SCORER = "scorer"  # joins predictions with the bars that came true (`scores`)
GROUP_DRIFT = "drift"  # the scorer's drift monitor: feature rows against the champion's training rows

MODELS_DIR = "models"
BARS_DIR = "bars"
CHAMPION_FILE = "CHAMPION"
HISTORY_FILE = "HISTORY.jsonl"
REGISTRY_LOCK = ".lock"
MODEL_FILE = "model.json"  # pins booster.txt by sha256 (core/artifact.py)
BOOSTER_FILE = "booster.txt"  # LightGBM model text
FORECASTER_FILE = "forecaster.json"  # the path forecaster (core/forecast), pinned by model.json
LEGACY_MODEL_FILE = "model.joblib"  # before card v2: refused
CARD_FILE = "card.json"
SNAPSHOTS_DIR = "snapshots"
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True, slots=True)
class Keys:
    """Redis key names under one prefix."""

    prefix: str = DEFAULT_PREFIX

    @property
    def bars(self) -> str:
        return f"{self.prefix}bars"

    @property
    def features(self) -> str:
        return f"{self.prefix}features"

    @property
    def predictions(self) -> str:
        return f"{self.prefix}predictions"

    def predictions_for(self, symbol: str) -> str:
        return f"{self.prefix}predictions:{symbol}"

    @property
    def scores(self) -> str:
        """Live scores of each model on each series (ScoresUpdated)."""
        return f"{self.prefix}scores"

    @property
    def commands(self) -> str:
        return f"{self.prefix}commands"

    @property
    def models(self) -> str:
        return f"{self.prefix}models"

    @property
    def events(self) -> str:
        return f"{self.prefix}events"

    @property
    def dlq(self) -> str:
        return f"{self.prefix}dlq"

    @property
    def optuna_journal(self) -> str:
        """Prefix of the keys of a shared Optuna journal (trainer, when OPTUNA_STORAGE is set)."""
        return f"{self.prefix}optuna:"

    def exchange_budget(self, exchange: str, window: int) -> str:
        """Counter of requests to an exchange in one budget window, shared by every ingest replica."""
        return f"{self.prefix}budget:{exchange}:{window}"

    @property
    def training_lock(self) -> str:
        """String key: the trainer replica that is training now (token, with a TTL it renews)."""
        return f"{self.prefix}lock:training"

    def retrain_slot(self, slot_ms: int) -> str:
        """String key: set once by the replica that publishes this scheduled retrain."""
        return f"{self.prefix}cron:retrain:{slot_ms}"

    @property
    def feature_sets(self) -> str:
        """Hash: feature-set hash -> JSON {name, version, hash, names}, the order of a row's `values`."""
        return f"{self.prefix}feature_sets"

    def feature_state(self, symbol: str, timeframe: str) -> str:
        """Hash holding the features worker's checkpoint for one series."""
        return f"{self.prefix}state:features:{symbol}:{timeframe}"

    def feature_journal(self, symbol: str, timeframe: str) -> str:
        """String: the bars one series absorbed since its checkpoint's snapshot (48 bytes each)."""
        return f"{self.prefix}state:features:{symbol}:{timeframe}:journal"
