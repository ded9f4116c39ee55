"""The card's PNG plots: four valid files whatever the inputs, and the binning they draw."""

import struct
import time
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose, assert_array_equal

from candlecast.shared.core.card_sections import Importance
from candlecast.trainer.plots import (
    BINS,
    DPI,
    EquityCurve,
    PlotInputs,
    calibration_bins,
    equity,
    history,
    importance,
    reliability,
    write_plots,
)
from candlecast.trainer.tuning import TrialPoint

PNG = b"\x89PNG\r\n\x1a\n"
NAMES = ["reliability.png", "importance.png", "optuna_history.png", "equity.png"]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG, path
    assert data[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def inputs(n: int = 2_000, trials: int = 40, features: int = 60, seed: int = 0) -> PlotInputs:
    rng = np.random.default_rng(seed)
    p_raw = rng.uniform(0.2, 0.8, n)
    y = (rng.uniform(size=n) < p_raw).astype(np.float64)
    states = ["PRUNED" if i % 3 == 2 else "COMPLETE" for i in range(trials)]
    history = [
        TrialPoint(i, None if s == "PRUNED" else 0.69 + rng.uniform(0, 0.01), s) for i, s in enumerate(states)
    ]
    periods = n // 5
    return PlotInputs(
        y=y,
        p_raw=p_raw,
        p_calibrated=np.clip(0.5 + 0.8 * (p_raw - 0.5), 0, 1),
        importance=[Importance(name=f"f{i}", gain=float(rng.uniform(0, 100))) for i in range(features)],
        history=history,
        base_rate_log_loss=0.6931,
        equity=EquityCurve(
            ts=np.arange(periods, dtype=np.int64) * 300_000,
            strategy=rng.normal(0, 1e-3, periods),
            buy_and_hold=rng.normal(0, 1e-3, periods),
        ),
    )


def test_writes_four_valid_pngs_and_returns_their_names(tmp_path):
    folder = tmp_path / "v1"
    started = time.perf_counter()
    names = write_plots(folder, inputs())
    elapsed = time.perf_counter() - started
    assert names == NAMES
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)
    for name in names:
        width, height = png_size(folder / name)
        assert width >= 5 * DPI, name
        assert height >= 3 * DPI, name
        assert (folder / name).stat().st_size > 5_000, name  # drawn, not a blank canvas
    assert elapsed < 8.0  # four plots; ~0.3 s each measured, slack for a busy machine


def drawn(figure: Figure, path: Path) -> tuple[int, int]:
    figure.savefig(path, format="png", dpi=DPI)
    return png_size(path)


def test_importance_grows_with_the_features_shown_but_stops_at_25(tmp_path):
    rows = [[Importance(name=f"f{i}", gain=float(i)) for i in range(n)] for n in (3, 25, 120)]
    heights = [drawn(importance(r), tmp_path / f"{len(r)}.png")[1] for r in rows]
    assert heights[0] < heights[1] == heights[2]


EMPTY_F, EMPTY_I = np.empty(0), np.empty(0, dtype=np.int64)
DEGENERATE = {
    "one class": lambda: reliability(np.ones(200), np.full(200, 0.7), np.full(200, 0.7)),
    "no rows": lambda: reliability(EMPTY_F, EMPTY_F, EMPTY_F),
    "all pruned": lambda: history([TrialPoint(i, None, "PRUNED") for i in range(5)], 0.69),
    "no trials": lambda: history([], None),
    "failed trials": lambda: history(
        [TrialPoint(0, None, "FAIL"), TrialPoint(1, float("nan"), "COMPLETE")], None
    ),
    "no features": lambda: importance([]),
    "no periods": lambda: equity(EquityCurve(EMPTY_I, EMPTY_F, EMPTY_F)),
    "nan returns": lambda: equity(EquityCurve(np.arange(3, dtype=np.int64), np.full(3, np.nan), np.zeros(3))),
}


@pytest.mark.parametrize("case", sorted(DEGENERATE))
def test_degenerate_inputs_still_give_valid_pngs(tmp_path, case):
    width, height = drawn(DEGENERATE[case](), tmp_path / "plot.png")
    assert width > 0
    assert height > 0
    assert (tmp_path / "plot.png").stat().st_size > 1_000


def test_calibration_bins_mean_share_and_count():
    p = np.array([0.0, 0.01, 0.5, 0.52, 0.99, 1.0])
    y = np.array([0.0, 1.0, 1.0, 1.0, 0.0, 1.0])
    mean_p, share, count = calibration_bins(y, p)
    assert count.shape == (BINS,)
    assert count.sum() == 6
    assert_array_equal(count[[0, 7, 14]], [2, 2, 2])
    assert_allclose(mean_p[[0, 7, 14]], [0.005, 0.51, 0.995])
    assert_allclose(share[[0, 7, 14]], [0.5, 1.0, 0.5])
    assert np.isnan(mean_p[1])
    assert np.isnan(share[1])
