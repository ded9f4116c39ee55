"""Forecast scores by hand, and the forecast gate folded into the promotion decision."""

import numpy as np

from candlecast.trainer.forecast_score import covered, crps, pit, pit_histogram, rank_ic


def test_crps_is_twice_the_mean_pinball_loss() -> None:
    levels = np.array([0.25, 0.5, 0.75])
    q = np.array([[-1.0, 0.0, 1.0]])
    # y = 2: pinball (1 - tau) * 0 ... y above every quantile: tau * (y - q) = 0.75, 1.0, 0.75
    assert np.isclose(crps(np.array([2.0]), q, levels)[0], 2 * (0.25 * 3 + 0.5 * 2 + 0.75 * 1) / 3)
    # y = 0: 0.75 * 1 (below q=1), 0, 0.25 * 1 (above q=-1)
    assert np.isclose(crps(np.array([0.0]), q, levels)[0], 2 * (0.25 + 0.25) / 3)


def test_coverage_pit_and_rank_ic_by_hand() -> None:
    y = np.array([0.0, 2.0, -1.0])
    assert covered(y, np.full(3, -1.0), np.full(3, 1.0)).tolist() == [1.0, 0.0, 1.0]
    q = np.array([[-1.0, 0.0, 1.0]] * 3)
    assert pit(y, q).tolist() == [2 / 3, 1.0, 1 / 3]
    assert pit_histogram(np.array([0.0, 0.05, 0.95, 1.0]), bins=2) == [2, 2]
    assert np.isclose(rank_ic(np.array([1.0, 2.0, 3.0]), np.array([10.0, 30.0, 20.0])), 0.5)


def test_a_failing_forecaster_rejects_a_promoted_model_unless_forced() -> None:
    from candlecast.shared.core.card_forecast import ForecastGate, ForecastInfo
    from candlecast.shared.core.card_sections import GateInfo
    from candlecast.trainer.forecast_card import with_forecast

    gate = GateInfo(
        decision="promoted", reason="ok", margin=0.0, rows=1, start_ts=0, challenger_log_loss=0.6,
        base_rate_log_loss=0.7, champion_version=None, champion_log_loss=None,
    )  # fmt: skip
    failing = ForecastGate(
        passed=False, failures=["80% band covers 0.6"], coverage_bounds=(0.75, 0.85), crps_tolerance=0.02
    )
    info = ForecastInfo(
        design="d", units="u", steps=1, band=(0.1, 0.9), inputs=(), fit_rows=1, calibration_rows=1,
        calibration_start_ts=0, hist_vol_window=2, per_step=[], pit=[], gate=failing,
    )  # fmt: skip
    assert with_forecast(gate, info, force=False).decision == "rejected"
    assert "0.6" in with_forecast(gate, info, force=False).reason
    assert with_forecast(gate, info, force=True).decision == "forced"
    passing = info.model_copy(update={"gate": failing.model_copy(update={"passed": True, "failures": []})})
    assert with_forecast(gate, passing, force=False) == gate
