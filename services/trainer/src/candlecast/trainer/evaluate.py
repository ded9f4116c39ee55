"""After the fit: latency on the serving path, the gate, the plots, and the card draft from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.card_sections import Latency
from candlecast.shared.core.cards import CardDraft
from candlecast.shared.core.drift import reference
from candlecast.shared.core.feature_rows import FeatureRow
from candlecast.shared.core.ports import Timer
from candlecast.shared.core.scoring import log_loss
from candlecast.shared.core.serving import Served, measure_latency
from candlecast.trainer.card import Source, draft_card, holdout_backtest, importance
from candlecast.trainer.challenge import Champion, gate
from candlecast.trainer.config import TrainConfig
from candlecast.trainer.forecast_card import forecast_section, with_forecast, write_forecast_plots
from candlecast.trainer.pipeline import Trained
from candlecast.trainer.plots import EquityCurve, PlotInputs, write_plots

LATENCY_ROWS = 256  # distinct holdout rows cycled through by the latency loop


@dataclass(frozen=True, slots=True)
class Context:
    """What the card records about the run beside the model itself."""

    source: Source
    created_at: int
    request_id: str = ""
    force: bool = False
    notes: tuple[str, ...] = ()


def feature_rows(trained: Trained, limit: int = LATENCY_ROWS) -> list[FeatureRow]:
    """Holdout rows as the predictor receives them (close is not used by the model; set to 1)."""
    data, model = trained.data, trained.model
    return [
        FeatureRow(
            symbol=data.symbols[int(data.symbol[i])],
            timeframe=model.timeframe,
            ts=int(data.ts[i]),
            feature_set=model.feature_set,
            values=data.X[i].tolist(),  # the dataset's columns are the feature set's order
            close=1.0,
        )
        for i in trained.holdout[:limit].tolist()
    ]


def latency(trained: Trained, timer: Timer, samples: int) -> Latency:
    """Milliseconds per one-row call of the predictor's triage + predict, on holdout rows."""
    served = Served(model=trained.model, version="candidate")
    return measure_latency(served, feature_rows(trained), timer, samples=samples, batch_rows=1)


def plots(trained: Trained, folder: Path, equity: EquityCurve) -> list[str]:
    y = trained.y_holdout
    base = log_loss(y, np.full_like(y, trained.base_rate))
    inputs = PlotInputs(
        y=y,
        p_raw=trained.p_raw,
        p_calibrated=trained.p,
        importance=importance(trained),
        history=trained.tuned.history,
        base_rate_log_loss=base,
        equity=equity,
    )
    return write_plots(folder, inputs)


def finish(
    trained: Trained,
    series: Sequence[Bars],
    config: TrainConfig,
    champion: Champion | None,
    context: Context,
    folder: Path,
    timer: Timer,
) -> CardDraft:
    """Gate, latency, plots (written into `folder`) and the card draft of a trained candidate."""
    decision = gate(trained, series, champion, config.gate_margin, context.force)
    scored = None if config.forecast is None else forecast_section(trained, config.forecast)
    forecast = None if scored is None else scored.info
    decision = with_forecast(decision, forecast, context.force)
    summary, equity = holdout_backtest(trained, config)
    extra = [] if forecast is None else write_forecast_plots(folder, trained, forecast)
    draft = draft_card(
        trained,
        config,
        source=context.source,
        gate=decision,
        backtest=summary,
        latency=latency(trained, timer, config.latency_samples),
        plots=plots(trained, folder, equity) + extra,
        created_at=context.created_at,
        request_id=context.request_id,
        notes=context.notes,
    )
    drift = reference(trained.data.X[trained.pre], trained.model.feature_names)  # training rows only
    return draft.model_copy(update={"forecast": forecast, "drift": drift})
