"""PNG plots beside a model card: reliability, feature importance, Optuna history, equity curve.

Each plot is its own matplotlib `Figure` drawn on an Agg canvas (no pyplot, no global state).
Empty or degenerate inputs (one class, every trial pruned, no periods) still give a file that
says so, so a card always names the same four plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from candlecast.shared.core.arrays import F64, I64
from candlecast.shared.core.card_sections import Importance
from candlecast.shared.core.scoring import ece

if TYPE_CHECKING:
    from candlecast.trainer.tuning import TrialPoint

BINS = 15
TOP_FEATURES = 25
DPI = 100
RELIABILITY, IMPORTANCE, HISTORY, EQUITY = (
    "reliability.png",
    "importance.png",
    "optuna_history.png",
    "equity.png",
)


@dataclass(frozen=True, slots=True)
class EquityCurve:
    """Per holding period: start ts (UTC ms) and net simple returns of the strategy and of buy-and-hold."""

    ts: I64
    strategy: F64
    buy_and_hold: F64


@dataclass(frozen=True, slots=True)
class PlotInputs:
    y: F64  # holdout labels (0/1)
    p_raw: F64  # the booster's P(up) on the holdout
    p_calibrated: F64  # the published P(up) on the holdout
    importance: Sequence[Importance]
    history: Sequence[TrialPoint]
    base_rate_log_loss: float | None  # the tuning objective's naive reference, if known
    equity: EquityCurve


def write_plots(folder: Path, inputs: PlotInputs) -> list[str]:
    """Writes the four PNGs into `folder` (created if needed); returns their file names."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn = [
        (RELIABILITY, reliability(inputs.y, inputs.p_raw, inputs.p_calibrated)),
        (IMPORTANCE, importance(inputs.importance)),
        (HISTORY, history(inputs.history, inputs.base_rate_log_loss)),
        (EQUITY, equity(inputs.equity)),
    ]
    for name, figure in drawn:
        figure.savefig(folder / name, format="png", dpi=DPI)
    return [name for name, _ in drawn]


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _empty(ax: Axes, why: str) -> None:
    ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def calibration_bins(y: F64, p: F64, bins: int = BINS) -> tuple[F64, F64, I64]:
    """Mean P(up), share of up labels and row count per equal-width bin (NaN where empty)."""
    index = np.minimum((np.clip(p, 0.0, 1.0) * bins).astype(np.int64), bins - 1)
    count = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(index, weights=p, minlength=bins) / count
        share = np.bincount(index, weights=y, minlength=bins) / count
    return mean_p, share, count


def reliability(y: F64, p_raw: F64, p_calibrated: F64) -> Figure:
    """Observed up share against mean P(up) per bin, raw and calibrated, with the rows per bin."""
    figure = _figure(6.0, 6.5)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    top.set_title(f"Reliability on the holdout ({BINS} bins)")
    if y.shape[0] == 0:
        _empty(top, "no holdout rows")
        return figure
    top.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    edges = np.linspace(0.0, 1.0, BINS + 1)
    for p, label, color in ((p_raw, "raw", "tab:orange"), (p_calibrated, "calibrated", "tab:blue")):
        mean_p, share, count = calibration_bins(y, p)
        shown = count > 0
        text = f"{label} (ECE {ece(y, p, BINS):.4f})"
        top.plot(mean_p[shown], share[shown], marker="o", color=color, label=text)
        bottom.stairs(count, edges, color=color, label=label)
    top.set_ylabel("share of up labels")
    top.set_xlim(0.0, 1.0)
    top.set_ylim(0.0, 1.0)
    top.legend(loc="upper left")
    bottom.set_xlabel("predicted P(up)")
    bottom.set_ylabel("rows")
    bottom.legend(loc="upper right")
    return figure


def importance(items: Sequence[Importance]) -> Figure:
    """The top features by total gain, largest on top."""
    top = sorted(items, key=lambda i: i.gain, reverse=True)[:TOP_FEATURES]
    figure = _figure(7.0, 1.5 + 0.25 * max(len(top), 4))
    ax = figure.subplots()
    ax.set_title(f"Feature importance (gain, top {len(top)} of {len(items)})")
    if not top:
        _empty(ax, "no features")
        return figure
    ax.barh(range(len(top)), [i.gain for i in top], color="tab:blue")
    ax.set_yticks(range(len(top)), [i.name for i in top], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("total gain")
    return figure


def _finite(value: float | None) -> bool:
    return value is not None and bool(np.isfinite(value))


def history(trials: Sequence[TrialPoint], base_rate_log_loss: float | None) -> Figure:
    """Objective per complete trial and the best so far; pruned trials as red ticks at the bottom."""
    figure = _figure(7.0, 4.5)
    ax = figure.subplots()
    done = [t for t in trials if t.state == "COMPLETE" and _finite(t.value)]
    pruned = [t.number for t in trials if t.state == "PRUNED"]
    ax.set_title(f"Optuna history ({len(trials)} trials: {len(done)} complete, {len(pruned)} pruned)")
    if not done and not pruned:
        _empty(ax, "no trial completed or was pruned")
        return figure
    if done:
        numbers = [t.number for t in done]
        values = np.array([t.value for t in done], dtype=np.float64)
        ax.scatter(numbers, values, s=12, color="tab:blue", label="complete")
        ax.step(numbers, np.minimum.accumulate(values), where="post", color="tab:green", label="best so far")
    if pruned:  # Optuna keeps no value for a pruned trial: mark where it happened
        ax.scatter(
            pruned,
            np.full(len(pruned), 0.02),
            transform=ax.get_xaxis_transform(),
            marker="|",
            s=60,
            color="tab:red",
            label="pruned",
        )
    if base_rate_log_loss is not None:
        ax.axhline(base_rate_log_loss, color="grey", linestyle="--", linewidth=1, label="base rate")
    ax.set_xlim(-0.5, max(t.number for t in trials) + 0.5)
    ax.set_xlabel("trial")
    ax.set_ylabel("mean validation log loss")
    ax.legend(loc="best", fontsize=8)
    return figure


def equity(curve: EquityCurve) -> Figure:
    """Cumulative log return of the sign strategy (net of fees) and of buy-and-hold."""
    figure = _figure(7.0, 4.0)
    ax = figure.subplots()
    ax.set_title("Holdout backtest: cumulative log return")
    if curve.ts.shape[0] == 0:
        _empty(ax, "no holding periods")
        return figure
    days = (curve.ts - curve.ts[0]) / 86_400_000
    for returns, label, color in (
        (curve.strategy, "strategy (net)", "tab:blue"),
        (curve.buy_and_hold, "buy and hold", "grey"),
    ):
        ax.plot(days, np.cumsum(np.log1p(np.nan_to_num(returns))), color=color, label=label)
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.set_xlabel("days into the holdout")
    ax.set_ylabel("cumulative log return")
    ax.legend(loc="upper left")
    return figure
