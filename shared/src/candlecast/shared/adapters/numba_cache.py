"""Drop numba's on-disk cache of the feature kernel when any of its sources changed.

numba checks only the defining file of a cached function, not the modules it
calls or the constants it froze, so an edit elsewhere could leave stale machine
code. A digest of all sources, kept next to the cache, catches that. The edges
that compile the kernel (features and trainer start, `candlecast features
compute`, the tests) call `clear_stale_cache` before they use it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from candlecast.shared.core import features

PACKAGE_DIR = Path(features.__file__).parent


def sources_digest(package_dir: Path = PACKAGE_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(package_dir.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def clear_stale_cache(package_dir: Path = PACKAGE_DIR) -> None:
    """Delete cached kernels (*.nbi, *.nbc) if the sources differ from the last run's."""
    cache = package_dir / "__pycache__"
    stamp = cache / "kernel-sources.sha256"
    digest = sources_digest(package_dir)
    try:
        if stamp.exists() and stamp.read_text() == digest:
            return
        for path in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            path.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        return  # read-only install: numba falls back to its own cache directory
