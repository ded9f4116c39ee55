"""The numpy array aliases every module uses (one home, so they never disagree)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Index = NDArray[np.intp]
Mask = NDArray[np.bool_]
