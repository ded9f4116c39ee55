"""The champion stack: promotions push, reverts pop, the pointer wins over a short history."""

from __future__ import annotations

import pytest

from candlecast.shared.core.promotions import (
    NoEarlierChampionError,
    Promotion,
    champion_stack,
    done_by,
    revert_target,
)


def p(version: str, action: str = "train", request_id: str = "") -> Promotion:
    return Promotion.model_validate(
        {"version": version, "sha256": "0" * 64, "action": action, "request_id": request_id, "at": 0}
    )


def test_promotions_push_and_reverts_pop() -> None:
    history = [p("A"), p("B"), p("C")]
    assert champion_stack(history, "C") == ["A", "B", "C"]
    assert revert_target(history, "C") == "B"
    history.append(p("B", "revert"))
    assert revert_target(history, "B") == "A", "a second revert walks further back, not back to C"
    history.append(p("A", "revert"))
    with pytest.raises(NoEarlierChampionError, match="no earlier champion"):
        revert_target(history, "A")


def test_promoting_an_older_version_makes_the_replaced_one_previous() -> None:
    history = [p("A"), p("B"), p("A", "rollback")]
    assert champion_stack(history, "A") == ["A", "B", "A"]
    assert revert_target(history, "A") == "B"


def test_repeated_promotion_of_the_champion_is_one_entry() -> None:
    assert champion_stack([p("A"), p("A", "promote")], "A") == ["A"]


def test_pointer_without_history_line_still_counts() -> None:
    assert champion_stack([], "X") == ["X"]
    assert revert_target([p("A")], "B") == "A", "crash between pointer and history line"
    with pytest.raises(NoEarlierChampionError):
        revert_target([], None)


def test_done_by_finds_the_latest_change_of_a_request() -> None:
    history = [p("A", request_id="r1"), p("B", request_id="r2"), p("C", request_id="r1")]
    found = done_by(history, "r1")
    assert found is not None
    assert found.version == "C"
    assert done_by(history, "") is None
    assert done_by(history, "r9") is None
