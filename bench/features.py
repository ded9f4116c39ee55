"""Feature engine benchmark: online latency per bar, batch throughput, parity-check runtime.

Run: .venv/bin/python bench/features.py
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from candlecast.shared.adapters.numba_cache import clear_stale_cache
from candlecast.shared.core.bars import Bars
from candlecast.shared.core.constants import OHLCV
from candlecast.shared.core.features import CORE, FeatureSet, advance, compute, new_state, warmup_bars

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TF_MS = 300_000


def synthetic(n: int, seed: int = 0) -> Bars:
    rng = np.random.default_rng(seed)
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, n)))
    open_ = np.concatenate([[30_000.0], close[:-1]])
    high = np.maximum(open_, close) * (1.0 + rng.random(n) * 0.002)
    low = np.minimum(open_, close) * (1.0 - rng.random(n) * 0.002)
    ts = TF_MS * np.arange(n, dtype=np.int64) + 1_600_000_000_000
    return Bars("SYN", "5m", ts, open_, high, low, close, rng.lognormal(3.0, 1.0, n))


def real_or_synthetic(symbol: str = "BTCUSDT") -> Bars:
    path = DATA / f"{symbol}_5m.parquet"
    if not path.exists():
        print(f"# {path} absent: using synthetic bars")
        return synthetic(120_000)
    table = pq.read_table(path)
    return Bars(symbol, "5m", table["ts"].to_numpy(), *(table[c].to_numpy() for c in OHLCV))


def online_us_per_bar(
    bars: Bars, feature_set: FeatureSet, calls: int = 20_000, repeats: int = 5
) -> list[float]:
    """Median per-call latency of advance(state, one bar), per repeat."""
    state = new_state(feature_set, bars.timeframe)
    at = 2 * warmup_bars(feature_set)
    advance(state, bars.take(slice(0, at)))
    medians = []
    for _ in range(repeats):
        singles = [bars.take(slice(i, i + 1)) for i in range(at, at + calls)]
        took = np.empty(calls)
        for i, one in enumerate(singles):
            t0 = time.perf_counter_ns()
            advance(state, one)
            took[i] = time.perf_counter_ns() - t0
        medians.append(float(np.median(took)) / 1e3)
        at += calls
    return medians


def batch_rows_per_s(n: int = 1_000_000, repeats: int = 3) -> list[float]:
    bars = synthetic(n)
    compute(bars.take(slice(0, 1000)), CORE)
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        compute(bars, CORE)
        rates.append(n / (time.perf_counter() - t0))
    return rates


def parity_check(bars: Bars) -> tuple[float, bool]:
    """Online one bar at a time vs batch over the whole series: seconds, equal?"""
    t0 = time.perf_counter()
    batch = compute(bars, CORE)
    state = new_state(CORE, bars.timeframe)
    rows = [advance(state, bars.take(slice(i, i + 1))) for i in range(len(bars))]
    values = np.concatenate([r.values for r in rows])
    same = np.array_equal(values, batch.values) and np.array_equal(
        np.concatenate([r.ts for r in rows]), batch.ts
    )
    return time.perf_counter() - t0, same


def main() -> None:
    clear_stale_cache()
    bars = real_or_synthetic()
    compute(bars.take(slice(0, 1000)), CORE)  # compile or load the cached kernel
    online = online_us_per_bar(bars, CORE)
    print(f"features_core: {len(CORE.names)}")
    print(f"online_us_per_bar_median: {statistics.median(online):.2f}")
    print(f"online_us_per_bar_repeats: {' '.join(f'{x:.2f}' for x in online)}")
    rates = batch_rows_per_s()
    print(f"batch_rows_per_s_median: {statistics.median(rates):,.0f}")
    print(f"batch_s_per_1m_rows: {1e6 / statistics.median(rates):.2f}")
    seconds, same = parity_check(bars)
    print(f"parity_check_bars: {len(bars)}")
    print(f"parity_check_s: {seconds:.2f}")
    print(f"parity_ok: {same}")


if __name__ == "__main__":
    main()
