"""`features compute`: a bar file's feature rows, offline, with the same kernel as the service."""

from __future__ import annotations

import time
from pathlib import Path

from candlecast.cli.errors import UserError
from candlecast.shared.settings import Settings


def compute_features(source: Path, target: Path, feature_set: str | None, timeframe: str | None) -> int:
    """Write the rows to `target`; `timeframe` applies where the file has no timeframe column."""
    try:
        from candlecast.shared.adapters.feature_files import compute_file
        from candlecast.shared.adapters.numba_cache import clear_stale_cache
        from candlecast.shared.core import features
    except ImportError as exc:
        raise UserError(f"{exc}: the feature engine needs candlecast-cli[features]") from exc

    if not source.is_file():
        raise UserError(f"no bar file at {source}")
    clear_stale_cache()
    fs = features.get_feature_set(feature_set) if feature_set else features.DEFAULT
    started = time.monotonic()
    rows = compute_file(source, target, fs, timeframe)
    took = time.monotonic() - started
    print(f"wrote {rows} rows x {len(fs.names)} features ({fs.name}:{fs.hash}) to {target} in {took:.1f} s")
    return 0


async def reset_series(settings: Settings, symbol: str, timeframe: str) -> int:
    """Publish a reset order on `bars`: the worker owning the series drops its state there, in order."""
    from candlecast.shared.adapters.connect import client
    from candlecast.shared.adapters.redis_streams import publish
    from candlecast.shared.core.messages import ResetSeries
    from candlecast.shared.core.timeframes import timeframe_ms

    timeframe_ms(timeframe)  # 7x: "unknown timeframe '7x': use e.g. ...", exit 2
    order = ResetSeries(symbol=symbol, timeframe=timeframe)  # a bad symbol or timeframe: exit 2
    redis = client(settings)
    try:
        entry_id = await publish(redis, settings.keys.bars, order, settings.maxlen)
    finally:
        await redis.aclose()
    print(
        f"reset order for {symbol} {timeframe} is {entry_id} on {settings.keys.bars}: its features restart "
        "(warm-up) from the next bar after it"
    )
    return 0
