"""Each service's streams, declared on a FastStream `RedisBroker` that is never connected.

The services read with their own loop (`runner.py`), not FastStream subscribers. These
brokers exist so FastStream's AsyncAPI tooling can describe what each service reads (a
subscriber: stream, group, message type) and writes (a publisher per stream); the
handlers do nothing, their docstrings say what the service does with each entry.
`contract.py` turns them into the committed AsyncAPI files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from faststream.redis import RedisBroker, StreamSub
from pydantic import Field

from candlecast.shared.adapters.faststream_format import JsonFormat
from candlecast.shared.core.constants import (
    GROUP_DRIFT,
    GROUP_FEATURES,
    GROUP_PREDICTOR,
    GROUP_RECORDER,
    GROUP_SCORER,
    GROUP_TRAINER,
    Keys,
)
from candlecast.shared.core.messages import (
    BarClosed,
    Command,
    DeadLettered,
    DriftDetected,
    FeaturesComputed,
    ModelLoaded,
    ModelPromoted,
    ModelRefused,
    ModelRejected,
    PredictionMade,
    ResetSeries,
    RetrainModel,
    ScoresUpdated,
    TrainingFailed,
    TrainingProgress,
)

KEYS = Keys()
SERVER = "redis://localhost:6379"
CONSUMER = "$CANDLECAST_CONSUMER"  # one per replica, stable across its restarts (default host-pid)

BarsEntry = Annotated[BarClosed | ResetSeries, Field(title="BarsEntry")]
AnyCommand = Annotated[Command, Field(title="Command")]
TrainerEvent = Annotated[
    ModelRejected | TrainingProgress | TrainingFailed, Field(discriminator="event", title="TrainerEvent")
]
PredictorEvent = Annotated[
    ModelRefused | ModelLoaded | DriftDetected, Field(discriminator="event", title="PredictorEvent")
]


def new_broker() -> RedisBroker:
    return RedisBroker(
        SERVER,
        description="candlecast's Redis (CANDLECAST_REDIS_URL); every key starts with "
        "CANDLECAST_STREAM_PREFIX, `candlecast:` by default",
        message_format=JsonFormat,
    )


def grouped(stream: str, group: str) -> StreamSub[Literal[False]]:
    return StreamSub(stream, group=group, consumer=CONSUMER)


def to_dlq(broker: RedisBroker, what: str) -> None:
    broker.publisher(
        stream=KEYS.dlq,
        schema=DeadLettered,
        title="to_dlq",
        description=f"{what}, with the reason; the entry is acked and the pipeline keeps flowing.",
    )


GAVE_UP = "an entry delivered CANDLECAST_MAX_DELIVERIES times without being processed"


def ingest() -> RedisBroker:
    """`candlecast run ingest`: an exchange (or synthetic) source, and the recorder beside it."""
    broker = new_broker()
    broker.publisher(
        stream=KEYS.bars,
        schema=BarClosed,
        title="to_bars",
        description="Closed OHLCV bars, oldest first per series, each recorded in the bar store first.",
    )

    @broker.subscriber(stream=grouped(KEYS.bars, GROUP_RECORDER), title="on_bars")
    async def on_bars(bar: BarsEntry) -> None:
        """The recorder (also `candlecast run recorder` alone): every bar on `bars`, whoever published
        it, that can be a closed bar now goes into the bar store; other entries are skipped."""

    to_dlq(broker, f"The recorder: {GAVE_UP} (it skips what is not a bar; features dead-letters that)")
    return broker


def features() -> RedisBroker:
    """`candlecast run features`: feature rows from bars."""
    broker = new_broker()

    @broker.subscriber(stream=grouped(KEYS.bars, GROUP_FEATURES), title="on_bars")
    async def on_bars(entry: BarsEntry) -> None:
        """Each admitted bar advances its series' state and yields one feature row; a ResetSeries
        drops the series' state there. With CANDLECAST_PARTITIONS > 1 each partition p reads in
        its own group `features-p{p}` and keeps its share of the symbols."""

    broker.publisher(
        stream=KEYS.features,
        schema=FeaturesComputed,
        title="to_features",
        description="One row per admitted bar, computed from that bar and earlier ones only.",
    )
    to_dlq(broker, f"Malformed entries, invalid or refused bars, and {GAVE_UP}")
    return broker


def trainer() -> RedisBroker:
    """`candlecast run trainer`: commands in, models and events out."""
    broker = new_broker()

    @broker.subscriber(stream=grouped(KEYS.commands, GROUP_TRAINER), title="on_commands")
    async def on_commands(command: AnyCommand) -> None:
        """Retrain, promote or roll back (field `command` says which); one training at a time
        across replicas, and the command is acked only once its outcome is published."""

    broker.publisher(
        stream=KEYS.models,
        schema=ModelPromoted,
        title="to_models",
        description="A new champion is in the registry (after a retrain that passed the gate, "
        "a promote or a rollback).",
    )
    broker.publisher(
        stream=KEYS.events,
        schema=TrainerEvent,
        title="to_events",
        description="Progress, rejections and failures, each naming the command's request_id.",
    )
    broker.publisher(
        stream=KEYS.commands,
        schema=RetrainModel,
        title="to_commands",
        description="Scheduled retrains (only with CANDLECAST_RETRAIN_CRON), one per slot across replicas.",
    )
    to_dlq(broker, f"Malformed or invalid commands, and {GAVE_UP}")
    return broker


def predictor() -> RedisBroker:
    """`candlecast run predictor`: predictions from feature rows with the champion model."""
    broker = new_broker()

    @broker.subscriber(stream=grouped(KEYS.features, GROUP_PREDICTOR), title="on_features")
    async def on_features(row: FeaturesComputed) -> None:
        """Predicts each row with the model served now; until a model is loaded no row is read."""

    @broker.subscriber(stream=StreamSub(KEYS.models), title="on_models")
    async def on_models(promoted: ModelPromoted) -> None:
        """Every replica reads every promotion (no group), verifies the model and swaps it in."""

    broker.publisher(
        stream=KEYS.predictions,
        schema=PredictionMade,
        title="to_predictions",
        description="One prediction per feature row, every symbol.",
    )
    broker.publisher(
        stream=KEYS.predictions_for("{symbol}"),
        schema=PredictionMade,
        title="to_predictions_for_symbol",
        description="The same predictions, one stream per symbol.",
    )
    broker.publisher(
        stream=KEYS.events,
        schema=PredictorEvent,
        title="to_events",
        description="Which model each replica serves (ModelLoaded), or why it refused one (ModelRefused); "
        "from the scorer, drift of the champion's live features (DriftDetected).",
    )
    to_dlq(broker, f"Malformed rows, rows the served model cannot predict, and {GAVE_UP}")
    add_scorer(broker)
    return broker


def add_scorer(broker: RedisBroker) -> None:
    """`candlecast run scorer` (in the predictor package): live scores of each model on each series."""

    @broker.subscriber(stream=grouped(KEYS.bars, GROUP_SCORER), title="on_bars_scorer")
    async def on_bars(bar: BarClosed) -> None:
        """The closes that decide how each prediction came out."""

    @broker.subscriber(stream=grouped(KEYS.predictions, GROUP_SCORER), title="on_predictions_scorer")
    async def on_predictions(prediction: PredictionMade) -> None:
        """Each prediction waits for the bars of its horizon and its forecast steps, then is scored."""

    broker.publisher(
        stream=KEYS.scores,
        schema=ScoresUpdated,
        title="to_scores",
        description="Rolling log loss, Brier, hit rate, ECE and band coverage per series and model version.",
    )

    @broker.subscriber(stream=grouped(KEYS.features, GROUP_DRIFT), title="on_features_drift")
    async def on_features(row: FeaturesComputed) -> None:
        """The drift monitor: the champion's rows (its timeframe and feature set, all symbols) fill a
        rolling window; each feature's PSI against the card's training distribution raises one
        DriftDetected above CANDLECAST_DRIFT_THRESHOLD."""

    broker.publisher(
        stream=KEYS.commands,
        schema=RetrainModel,
        title="to_commands",
        description="Only with CANDLECAST_DRIFT_RETRAIN: one retrain of the champion's timeframe per "
        "DriftDetected.",
    )


SERVICES: dict[str, Callable[[], RedisBroker]] = {
    "ingest": ingest,
    "features": features,
    "trainer": trainer,
    "predictor": predictor,
}
