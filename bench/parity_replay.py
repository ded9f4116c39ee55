"""Online vs offline on any bar file: the running features service against `features compute`.

Starts a private Redis and `candlecast run features`, replays FILE, computes the
same file offline, and compares every feature of every row.
Usage: python bench/parity_replay.py FILE
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import redis

from candlecast.cli.embedded import local_redis
from candlecast.shared.core.feature_rows import names_of
from candlecast.shared.core.features import DEFAULT
from tests.support.fleet import Fleet


def cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "candlecast.cli", *args], env=env, check=True)


def online_rows(env: dict[str, str], url: str, folder: Path, bars: Path, expected: int) -> list[dict]:
    fleet = Fleet(env, folder)
    fleet.start(("features",))
    client = redis.Redis.from_url(url)
    try:
        started = time.monotonic()
        cli(env, "replay", str(bars))
        while client.xlen("candlecast:features") < expected:
            fleet.check()
            time.sleep(0.2)
        print(f"service: {expected} rows in {time.monotonic() - started:.1f} s (replay included)")
        time.sleep(1.0)
        return [json.loads(f[b"__data__"]) for _, f in client.xrange("candlecast:features")]
    finally:
        fleet.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    bars = parser.parse_args().file.resolve()
    with local_redis() as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "CANDLECAST_REDIS_URL": url, "CANDLECAST_HOME": str(folder / "home")}
        env["CANDLECAST_MAXLEN"] = str(10_000_000)
        cli(env, "features", "compute", str(bars), str(folder / "offline.parquet"))
        table = pq.read_table(folder / "offline.parquet")
        online = online_rows(env, url, folder, bars, table.num_rows)
    index = {
        (s, t): i
        for i, (s, t) in enumerate(zip(table["symbol"].to_pylist(), table["ts"].to_pylist(), strict=True))
    }
    names = [n for n in table.column_names if n not in ("ts", "symbol", "timeframe")]
    offline = np.column_stack([table[n].to_numpy() for n in names])
    order = names_of(online[0]["feature_set"]["hash"]) or ()  # the rows' values are in this order
    at = {name: i for i, name in enumerate(order)}
    got = np.array([[r["values"][at[n]] for n in names] for r in online])
    rows = np.array([index[r["symbol"], r["ts"]] for r in online])
    want = offline[rows]
    rel = np.abs(got - want) / np.maximum(np.abs(want), 1e-300)
    print(f"rows: offline {table.num_rows}, online {len(online)}, matched {len(set(rows.tolist()))}")
    print(f"feature columns: {len(names)} ({DEFAULT.name}:{DEFAULT.hash})")
    print(f"max_relative_difference: {rel.max():.3g}  identical_values: {np.array_equal(got, want)}")


if __name__ == "__main__":
    main()
