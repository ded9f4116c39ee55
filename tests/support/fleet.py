"""Services as real child processes (`python -m candlecast.cli run NAME`), for e2e tests and benches."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


class Fleet:
    """Services as child processes, each logging to `log_dir/NAME.log`."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self.env = {"CANDLECAST_RETRAIN_CRON": "", **env}  # no scheduled retrains unless a test asks
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, names: Sequence[str]) -> None:
        for name in names:
            with (self.log_dir / f"{name}.log").open("ab") as log:
                cmd = [sys.executable, "-m", "candlecast.cli", "run", name]
                self.procs[name] = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def check(self) -> None:
        """Fail loudly as soon as a service has died."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir / name}.log")

    def stop(self, timeout: float = 20.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
