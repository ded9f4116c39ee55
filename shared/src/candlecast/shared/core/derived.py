"""Base for frozen pydantic models whose validator builds arrays from the fields (a `Derived`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel


class DerivedModel(BaseModel):
    """`model_copy(update=...)` validates again, so the derived arrays follow the new fields.

    Pydantic's own copy with `update` skips validation and would keep the old arrays.
    """

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; with `update`, validated again."""
        if update:
            return self.model_validate({**self.model_dump(), **update})
        return super().model_copy(deep=deep)
