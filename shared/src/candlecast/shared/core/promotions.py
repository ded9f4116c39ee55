"""The champion's history: every change of champion, append-only, and where a rollback returns to.

A promotion (by the trainer's gate, an operator's promote, or a rollback to a named
version) pushes a champion; a rollback without a version ("revert") pops the current
one, so repeated reverts walk back through earlier champions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from candlecast.shared.core.messages import TsMs

PromotionAction = Literal["train", "promote", "rollback", "revert"]


class Promotion(BaseModel):
    """One line of the history: `version` became champion."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    version: str = Field(description="The new champion")
    sha256: str = Field(description="Its artifact checksum, as in the champion pointer")
    action: PromotionAction = Field(description="train (gate), promote, rollback (to a version), revert")
    request_id: str = Field(default="", description="The command that caused it ('' when none)")
    at: TsMs = Field(description="UTC epoch ms of the change")
    previous: str | None = Field(default=None, description="The champion it replaced")


class NoEarlierChampionError(LookupError):
    """A revert with nothing to return to."""


def champion_stack(history: Sequence[Promotion], current: str | None) -> list[str]:
    """Champions in the order they took over, reverted ones removed; the last one is `current`.

    `current` (the pointer) wins over the history: a registry from before the history
    existed, or a crash between writing the pointer and its history line, still works.
    """
    stack: list[str] = []
    for p in history:
        if p.action == "revert" and stack:
            stack.pop()
        if not stack or stack[-1] != p.version:
            stack.append(p.version)
    if current is not None and (not stack or stack[-1] != current):
        stack.append(current)
    return stack


def revert_target(history: Sequence[Promotion], current: str | None) -> str:
    """The champion before the current one."""
    stack = champion_stack(history, current)
    if len(stack) < 2:
        raise NoEarlierChampionError(f"no earlier champion to return to (champion: {current or 'none'})")
    return stack[-2]


def done_by(history: Sequence[Promotion], request_id: str) -> Promotion | None:
    """The latest change made for this request (a redelivered command), if any."""
    if not request_id:
        return None
    return next((p for p in reversed(history) if p.request_id == request_id), None)
