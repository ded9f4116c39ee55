import numpy as np
import pytest

from candlecast.shared.core.scoring import log_loss
from candlecast.trainer.gate import decide

Y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
GOOD = np.array([0.7, 0.3, 0.7, 0.7, 0.3, 0.7])
BASE = 4 / 6


def test_beating_the_base_rate_without_champion_promotes():
    g = decide(Y, GOOD, None, None, BASE, margin=1e-4, start_ts=5)
    assert g.decision == "promoted"
    assert g.challenger_log_loss == pytest.approx(log_loss(Y, GOOD))
    assert g.base_rate_log_loss == pytest.approx(log_loss(Y, np.full(6, BASE)))
    assert (g.rows, g.start_ts, g.champion_log_loss) == (6, 5, None)


def test_the_base_rate_itself_is_rejected_even_with_zero_margin():
    g = decide(Y, np.full(6, BASE), None, None, BASE, margin=0.0, start_ts=0)
    assert g.decision == "rejected"
    assert "base rate" in g.reason


def test_margin_is_required_over_the_base_rate():
    gain = log_loss(Y, np.full(6, BASE)) - log_loss(Y, GOOD)
    assert decide(Y, GOOD, None, None, BASE, margin=gain * 0.99, start_ts=0).decision == "promoted"
    assert decide(Y, GOOD, None, None, BASE, margin=gain * 1.01, start_ts=0).decision == "rejected"


def test_a_better_champion_blocks_and_force_overrides():
    better = np.array([0.9, 0.1, 0.9, 0.9, 0.1, 0.9])
    g = decide(Y, GOOD, better, "v-old", BASE, margin=0.0, start_ts=0)
    assert g.decision == "rejected"
    assert "v-old" in g.reason
    assert g.champion_log_loss == pytest.approx(log_loss(Y, better))
    forced = decide(Y, GOOD, better, "v-old", BASE, margin=0.0, start_ts=0, force=True)
    assert forced.decision == "forced"
    assert "v-old" in forced.reason
    assert decide(Y, better, GOOD, "v-old", BASE, margin=0.0, start_ts=0).decision == "promoted"


def test_nan_predictions_never_promote():
    assert decide(Y, np.full(6, np.nan), None, None, BASE, margin=0.0, start_ts=0).decision == "rejected"


def test_mismatched_rows_are_refused():
    with pytest.raises(ValueError):
        decide(Y, GOOD[:3], None, None, BASE, margin=0.0, start_ts=0)
    with pytest.raises(ValueError):
        decide(Y, GOOD, GOOD[:3], "v", BASE, margin=0.0, start_ts=0)
