import numpy as np
import pytest

from candlecast.shared.core.card_sections import Backtest
from candlecast.trainer.backtest import backtest, period_starts

STEP = 60_000


def test_periods_never_overlap():
    ts = np.array([0, 1, 2, 3, 5, 6, 9, 10], dtype=np.int64) * STEP
    np.testing.assert_array_equal(period_starts(ts, 3 * STEP), np.array([0, 3, 6, 9]) * STEP)


def one_symbol(p: list[float], log_ret: list[float], hold: int = 1) -> Backtest:
    n = len(p)
    return backtest(
        np.asarray(p, dtype=np.float64),
        np.log(np.asarray(log_ret, dtype=np.float64)),
        np.arange(n, dtype=np.int64) * STEP,
        np.zeros(n, dtype=np.int64),
        hold_ms=hold * STEP,
        fee_bps=10.0,
        band=0.05,
        periods_per_year=100.0,
    )


def test_sign_strategy_returns_and_fees_by_hand():
    # gross simple returns +1%, -2%, +3%; positions long, short, flat (0.52 is inside the band)
    bt = one_symbol([0.7, 0.2, 0.52], [1.01, 0.98, 1.03])
    fee = 10.0 / 1e4
    # changes: 0 -> 1 (1), 1 -> -1 (2), -1 -> 0 (1), exit from flat (0)
    net = np.array([0.01 - fee, 0.02 - 2 * fee, -fee])
    assert bt.periods == 3
    assert bt.trades == 3
    assert bt.total_return == pytest.approx(np.prod(1 + net) - 1)
    assert bt.hit_rate == pytest.approx(1.0)
    assert bt.turnover == pytest.approx(4 / 3)
    assert bt.sharpe == pytest.approx(net.mean() / net.std() * 10.0)
    assert bt.buy_and_hold.total_return == pytest.approx(1.01 * 0.98 * 1.03 - 1)
    assert bt.buy_and_hold.max_drawdown == pytest.approx(0.02)
    assert "non-overlapping" in bt.method


def test_overlapping_rows_are_skipped():
    # hold 2: only rows 0 and 2 trade; row 1's return (a huge loss) must not count
    bt = one_symbol([0.9, 0.9, 0.9, 0.9], [1.01, 0.5, 1.01, 1.01], hold=2)
    assert bt.periods == 2
    assert bt.total_return == pytest.approx((1.01 - 1e-3) * (1.01 - 1e-3) - 1)
    assert bt.max_drawdown == pytest.approx(0.0)


def test_symbols_are_equal_weighted_and_a_missing_symbol_is_flat():
    ts = np.array([0, 0, 1], dtype=np.int64) * STEP
    bt = backtest(
        np.array([0.9, 0.1, 0.9]),
        np.log(np.array([1.02, 1.02, 1.04])),
        ts,
        np.array([0, 1, 0]),
        hold_ms=STEP,
        fee_bps=0.0,
        band=0.0,
        periods_per_year=1.0,
    )
    # period 0: (+2% long, -2% short) / 2 = 0; period 1: only symbol 0, +4%
    assert bt.total_return == pytest.approx(0.04)
    assert bt.hit_rate == pytest.approx(2 / 3)
    assert bt.buy_and_hold.total_return == pytest.approx(1.02 * 1.04 - 1)
