#!/bin/sh
# Slim the built venv (builder stage only): drop what no service runs, then check it still imports.
#   prune-venv.sh /opt/venv
set -eu
venv=$1
site=$(echo "$venv"/lib/python3*/site-packages)
"$venv/bin/pip" uninstall -q -y pip setuptools
# Test suites that packages ship.
find "$site" -depth -type d -name tests -exec rm -rf {} +
# pyarrow: C++ headers, Cython sources, and the Flight RPC and C++ test modules.
rm -rf "$site/pyarrow/include" "$site/pyarrow/src"
find "$site/pyarrow" -maxdepth 1 \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*flight*' \
  -o -name '_pyarrow_cpp_tests*' \) -delete
# Symbol tables of the shared objects (the dynamic symbols they link by stay). Not the
# libraries auditwheel vendored into <package>.libs/: stripping those breaks their ELF layout.
find "$site" -type f -name '*.so*' -not -path '*.libs/*' -exec strip --strip-unneeded {} +
# Every heavy dependency this image has still imports.
"$venv/bin/python" - <<'PY'
import importlib
import importlib.util

for name in ("numpy", "scipy.stats", "pyarrow.parquet", "pyarrow.dataset", "pyarrow.fs", "lightgbm", "numba",
             "optuna", "matplotlib.pyplot", "ccxt", "candlecast.shared.adapters.barstore"):
    if importlib.util.find_spec(name.split(".")[0]):
        importlib.import_module(name)
PY
