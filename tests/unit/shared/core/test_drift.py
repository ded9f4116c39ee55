"""Feature drift: training bins, PSI by hand, and the rolling window's incremental counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from candlecast.shared.core.drift import Alarm, DriftWindow, bin_indices, expected, psi, reference

RNG = np.random.default_rng(17)
TRAIN = RNG.normal(size=(20_000, 3))
REF = reference(TRAIN, ("a", "b", "c"))


def test_a_hand_computed_psi() -> None:
    # live shares 0.3 / 0.7 against 0.5 / 0.5: 0.2 * (ln(5/3) + ln(1.4))
    assert psi([0.5, 0.5], [30, 70]) == pytest.approx(0.2 * (math.log(5 / 3) + math.log(1.4)))
    assert psi([0.5, 0.5], [30, 70]) == pytest.approx(0.169460, abs=1e-6)


def test_empty_bins_are_clipped_at_eps() -> None:
    # a = (1e-4, 1), e = (1, 1e-4): 2 * (1 - 1e-4) * ln(1e4)
    assert psi([1.0, 0.0], [0, 10]) == pytest.approx(2 * (1 - 1e-4) * math.log(1e4))
    assert psi([0.5, 0.5, 0.0], [5, 5, 0]) == 0.0


def test_psi_refuses_mismatched_or_empty_counts() -> None:
    with pytest.raises(ValueError, match="bins"):
        psi([0.5, 0.5], [1, 2, 3])
    with pytest.raises(ValueError, match="bins"):
        psi([0.5, 0.5], [0, 0])


def test_reference_has_deciles_of_the_training_rows() -> None:
    feature = REF.features[0]
    assert (REF.bins, REF.rows, feature.name) == (10, 20_000, "a")
    assert len(feature.edges) == 9
    assert feature.edges == sorted(feature.edges)
    assert feature.fractions == pytest.approx([0.1] * 10, abs=1e-4)
    assert feature.nonfinite == 0.0


def test_ties_merge_edges_and_nonfinite_values_get_their_own_share() -> None:
    column = np.array([0.0] * 60 + [1.0] * 20 + [2.0] * 10 + [math.nan] * 5 + [math.inf] * 5)
    (feature,) = reference(column[:, None], ("x",)).features
    assert feature.edges == [0.0, 1.0, 2.0]
    assert feature.fractions == [0.0, 0.6, 0.2, 0.1]
    assert feature.nonfinite == 0.1
    assert expected(feature).sum() == pytest.approx(1.0)


def test_training_shares_are_what_bin_indices_counts() -> None:
    column = np.round(RNG.normal(size=5_000), 1)  # many ties
    column[::50] = math.nan
    (feature,) = reference(column[:, None], ("x",)).features
    counts = np.bincount(bin_indices(np.array(feature.edges), column), minlength=len(feature.edges) + 2)
    assert expected(feature).tolist() == (counts / column.shape[0]).round(6).tolist()


def test_bin_indices_edges_belong_to_the_bin_above() -> None:
    edges = np.array([0.0, 1.0])
    values = np.array([-1.0, 0.0, 0.5, 1.0, 9.0, math.nan, -math.inf])
    assert bin_indices(edges, values).tolist() == [0, 1, 1, 2, 2, 3, 3]


def test_the_same_distribution_has_psi_near_zero() -> None:
    window = DriftWindow(REF, 2_000)
    window.add(RNG.normal(size=(2_000, 3)))
    assert window.psi().max() < 0.02


def test_a_shifted_feature_has_a_large_psi_and_comes_first() -> None:
    live = RNG.normal(size=(2_000, 3))
    live[:, 1] += 1.0  # one standard deviation
    window = DriftWindow(REF, 2_000)
    window.add(live)
    ranked = window.ranked()
    assert ranked[0].name == "b"
    assert ranked[0].psi > 0.8
    assert max(f.psi for f in ranked[1:]) < 0.02


def test_window_psi_is_psi_of_each_feature() -> None:
    window = DriftWindow(REF, 500)
    window.add(RNG.normal(loc=0.3, size=(700, 3)))
    for j, feature in enumerate(REF.features):
        start, size = int(window.offsets[j]), len(feature.edges) + 2
        counts = window.counts[start : start + size]
        assert window.psi()[j] == pytest.approx(psi(expected(feature), counts))


def counts_of(rows: np.ndarray) -> np.ndarray:
    fresh = DriftWindow(REF, rows.shape[0])
    fresh.add(rows)
    return fresh.counts


def test_the_window_drops_its_oldest_rows() -> None:
    rows = RNG.normal(size=(23, 3))
    window = DriftWindow(REF, 10)
    for start, stop in ((0, 4), (4, 11), (11, 12), (12, 23)):
        window.add(rows[start:stop])
        kept = rows[max(0, stop - 10) : stop]
        assert window.size == kept.shape[0]
        assert window.counts.tolist() == counts_of(kept).tolist()
    assert int(window.counts.sum()) == 10 * 3


def test_a_batch_larger_than_the_window_keeps_its_newest_rows() -> None:
    rows = RNG.normal(size=(25, 3))
    window = DriftWindow(REF, 10)
    window.add(rows[:3])
    window.add(rows[3:])
    assert window.counts.tolist() == counts_of(rows[-10:]).tolist()
    window.add(rows[:0])
    assert window.size == 10


def test_the_alarm_fires_once_per_excursion() -> None:
    alarm = Alarm(0.25)
    readings = [0.1, 0.3, 0.5, 0.4, 0.25, 0.6, 0.7]
    assert [alarm.update(r) for r in readings] == [False, True, False, False, False, True, False]
