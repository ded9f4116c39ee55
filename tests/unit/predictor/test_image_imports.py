"""The predictor's image carries neither numba nor optuna nor ccxt: its modules must not import them."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import candlecast.predictor.app, candlecast.predictor.scorer, candlecast.predictor.drift
import candlecast.predictor.catchup, candlecast.predictor.watcher
print(sorted(m for m in ("numba", "optuna", "ccxt") if m in sys.modules))
"""


def test_predictor_and_scorer_modules_import_no_numba_optuna_or_ccxt() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
