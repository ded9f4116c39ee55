"""The seams between the core and the edges: each service wires real or fake ones in."""

from __future__ import annotations

import builtins
from typing import Protocol

from candlecast.shared.core.bars import Bars
from candlecast.shared.core.cards import CardDraft, ModelCard
from candlecast.shared.core.model import UpModel
from candlecast.shared.core.promotions import Promotion, PromotionAction


class Clock(Protocol):
    """UTC epoch milliseconds now (`adapters.clock.now_ms`, or a fake in tests)."""

    def __call__(self) -> int: ...


class Timer(Protocol):
    """Seconds on a monotonic clock (`time.perf_counter`, or a fake in tests)."""

    def __call__(self) -> float: ...


class BarReader(Protocol):
    """What the trainer and research tools need from stored bars."""

    def read(
        self, symbol: str, timeframe: str, start_ts: int | None = None, end_ts: int | None = None
    ) -> Bars: ...

    def series(self, timeframe: str | None = None) -> list[tuple[str, str]]: ...


class ModelIntegrityError(Exception):
    """A model that must not be served: bad checksum, bad path or bad contents."""


class ModelStore(Protocol):
    """Where models live. The trainer writes, the predictor reads.

    `load` and `promote` raise `ModelIntegrityError` for a model that must not be served,
    and `KeyError` for a version that was never saved.
    """

    def new_version(self, now_ms: int) -> str: ...
    def save(self, version: str, model: UpModel, draft: CardDraft) -> ModelCard: ...
    def champion(self) -> str | None: ...
    def promote(self, version: str) -> None: ...
    def load(self, version: str) -> tuple[UpModel, ModelCard]: ...
    def card(self, version: str) -> ModelCard: ...
    def list(self) -> builtins.list[ModelCard]: ...


class Registry(ModelStore, Protocol):
    """A ModelStore that records every change of champion and can return to the previous one."""

    def promote(self, version: str, action: PromotionAction = "train", request_id: str = "") -> None: ...
    def revert(self, request_id: str = "") -> str: ...
    def history(self) -> builtins.list[Promotion]: ...
