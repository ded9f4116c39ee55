"""Market-wide drivers of the synthetic market: volatility regimes and a common factor.

Both are drawn from streams that depend on the seed alone (not on the symbols), one fixed
amount per bar, so chunking and the set of symbols do not change them.

- Regimes: a slow two-state Markov switch (calm, volatile). Each bar the state flips with
  probability `switch`; the noise of every symbol is scaled by the state's multiplier.
- Common factor: each symbol's noise is sqrt(rho) * f + sqrt(1 - rho) * z, with f shared
  by all symbols, so their returns correlate with coefficient ~rho.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
MARKET_STREAMS = 0xC0FFEE  # spawn key of the market-wide streams (symbols use [seed, crc32])


@dataclass(frozen=True, slots=True)
class Regimes:
    """Volatility multipliers of the calm and volatile states and the per-bar flip chance."""

    calm: float = 0.7
    volatile: float = 2.0
    switch: float = 0.002  # ~500 bars per regime on average

    def __post_init__(self) -> None:
        if not (self.calm > 0 and self.volatile > 0 and 0.0 < self.switch < 1.0):
            raise ValueError("regime multipliers must be > 0 and switch in (0, 1)")


@dataclass(slots=True)
class Drivers:
    """The market-wide streams and the regime state reached so far."""

    regimes: Regimes | None
    correlation: float
    regime_draws: np.random.Generator
    factor_draws: np.random.Generator
    volatile: bool = False

    def advance(self, n: int) -> tuple[F64 | None, F64 | None]:
        """Per-bar vol multipliers (None: no regimes) and factor draws (None: no factor)."""
        scale = self._scale(n) if self.regimes is not None else None
        factor = self.factor_draws.standard_normal(n) if self.correlation else None
        return scale, factor

    def _scale(self, n: int) -> F64:
        assert self.regimes is not None
        flips = self.regime_draws.random(n) < self.regimes.switch
        state = (np.cumsum(flips) + int(self.volatile)) % 2 == 1
        if n:
            self.volatile = bool(state[-1])
        return np.where(state, self.regimes.volatile, self.regimes.calm)


def drivers(seed: int, regimes: Regimes | None, correlation: float) -> Drivers:
    if not 0.0 <= correlation < 1.0:
        raise ValueError(f"correlation must be in [0, 1), got {correlation}")
    seq = np.random.SeedSequence(seed, spawn_key=(MARKET_STREAMS,))
    regime_draws, factor_draws = (np.random.default_rng(s) for s in seq.spawn(2))
    return Drivers(regimes, correlation, regime_draws, factor_draws)


def mix(own: F64, factor: F64 | None, correlation: float) -> F64:
    """Unit-variance noise with correlation `correlation` to the factor's other users."""
    if factor is None:
        return own
    mixed: F64 = np.sqrt(correlation) * factor + np.sqrt(1.0 - correlation) * own
    return mixed
