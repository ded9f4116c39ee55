"""The numpy array aliases every module uses (one home, so they never disagree)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Index = NDArray[np.intp]
Mask = NDArray[np.bool_]


class Derived:
    """Arrays a frozen pydantic model builds once from its own fields, kept in a private attribute.

    Pydantic compares private attributes in `==`; these follow from the fields, so any two are
    equal (comparing arrays there would raise) and the fields alone decide equality and hash.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Derived)

    def __hash__(self) -> int:
        return 0
