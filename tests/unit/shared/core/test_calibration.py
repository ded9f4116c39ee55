"""Calibrator: its cached knots follow its fields through copies, JSON and equality."""

import numpy as np

from candlecast.shared.core.calibration import Calibrator

CAL = Calibrator(method="isotonic", x=(0.2, 0.5, 0.8), y=(0.1, 0.5, 0.7), shrink=0.5, base_rate=0.5)


def test_isotonic_apply_interpolates_then_shrinks_and_clips() -> None:
    got = CAL.apply(np.array([0.35, 0.5, -1.0, 2.0]))
    assert got.tolist() == [0.4, 0.5, 0.3, 0.6]


def test_equal_by_fields_after_use_through_json_and_copies() -> None:
    CAL.apply(np.array([0.4]))
    back = Calibrator.model_validate_json(CAL.model_dump_json())
    assert back == CAL
    assert hash(back) == hash(CAL)
    assert CAL.model_copy() == CAL
    assert back != CAL.model_copy(update={"shrink": 0.0})


def test_model_copy_with_new_knots_applies_the_new_knots() -> None:
    moved = CAL.model_copy(update={"y": (0.3, 0.7, 0.9)})
    assert moved.apply(np.array([0.5])).tolist() == [0.6]
    assert CAL.apply(np.array([0.5])).tolist() == [0.5]
