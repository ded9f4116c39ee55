"""Training without Redis or a registry: the same pipeline, card and plots, into `out/{version}/`.

`out/{version}/` gets the model files (booster.txt + model.json), card.json and the PNG plots.
There is no champion here, so the gate's bar is the base rate.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from pathlib import Path

from candlecast.shared.adapters.clock import now_ms
from candlecast.shared.adapters.file_registry import format_version
from candlecast.shared.adapters.files import write_atomic
from candlecast.shared.adapters.model_files import write_model
from candlecast.shared.core.artifact import check_matches
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.cards import ModelCard
from candlecast.shared.core.constants import CARD_FILE
from candlecast.shared.core.features import DEFAULT, FeatureSet
from candlecast.shared.core.ports import Clock, Timer
from candlecast.trainer.card import Source
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.evaluate import Context, finish
from candlecast.trainer.pipeline import train
from candlecast.trainer.tuning import Progress

FILE = Source("file")
NOTE = "offline run: no champion, so the base rate is the bar to beat"


def new_folder(out: Path, now: int) -> tuple[str, Path]:
    """A fresh `out/{version}` folder (created here, so two runs never share one)."""
    out.mkdir(parents=True, exist_ok=True)
    while True:
        version = format_version(now, secrets.token_hex(3))
        try:
            (out / version).mkdir()
        except FileExistsError:
            continue
        return version, out / version


def train_offline(
    series: Sequence[Bars],
    *,
    horizon: int,
    timeframe: str,
    out: Path,
    config: TrainConfig,
    feature_set: FeatureSet = DEFAULT,
    source: Source = FILE,
    progress: Progress | None = None,
    clock: Clock = now_ms,
    timer: Timer = time.perf_counter,
) -> tuple[ModelCard, Path]:
    """Train, gate against the base rate, write everything; the card and its folder."""
    trained = train(series, feature_set, horizon, timeframe, config, progress)
    version, folder = new_folder(out, clock())
    context = Context(source=source, created_at=clock(), notes=(NOTE,))
    draft = finish(trained, series, config, None, context, folder, timer)
    check_matches(trained.model, draft)
    sha256 = write_model(folder, trained.model)
    card = ModelCard.model_validate({**draft.model_dump(), "version": version, "sha256": sha256})
    write_atomic(folder / CARD_FILE, card.model_dump_json(indent=2).encode())
    return card, folder
