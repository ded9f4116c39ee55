"""A random but valid path forecaster over two named features (the second one logged)."""

from __future__ import annotations

import numpy as np

from candlecast.shared.core.forecast import GRID, Forecaster, coherent_table


def random_forecaster(steps: int, inputs: tuple[str, str] = ("f1", "f2"), seed: int = 0) -> Forecaster:
    """Scale lines on `inputs` (at columns 0 and 1), a coherent random table, band 0.1 / 0.9."""
    rng = np.random.default_rng(seed)
    raw = np.sort(rng.normal(0.0, 1.0, (steps, 4, len(GRID))), axis=2) * rng.uniform(0.5, 1.5, (steps, 4, 1))
    coef = np.c_[np.log(np.sqrt(np.arange(1, steps + 1))) - 6.0, rng.normal(0, 0.3, (steps, 2))]
    return Forecaster(
        steps=steps, inputs=inputs, columns=(0, 1), log_inputs=(False, True),
        center=(0.0, -6.0), spread=(0.7, 1.0), coef=tuple(map(tuple, coef.tolist())), levels=GRID,
        table=coherent_table(raw).tolist(), band=(0.1, 0.9),
    )  # fmt: skip
