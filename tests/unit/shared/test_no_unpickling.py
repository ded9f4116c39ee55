"""No shipped code can unpickle: no pickle-family import, no `allow_pickle`, no `read_pickle`.

A model is booster text + JSON (core/artifact.py); this keeps it that way.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "shared" / "src", ROOT / "cli" / "src", *sorted((ROOT / "services").glob("*/src"))]
UNPICKLERS = {"pickle", "_pickle", "cPickle", "joblib", "dill", "cloudpickle", "shelve", "marshal", "copyreg"}
CALLS = {"read_pickle", "load_pickle", "allow_pickle"}


def offences(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in UNPICKLERS]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in UNPICKLERS:
            found.append(node.module or "")
        elif isinstance(node, ast.Attribute) and node.attr in CALLS:
            found.append(node.attr)
        elif isinstance(node, ast.keyword) and node.arg in CALLS:
            found.append(node.arg)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__":
            found.append("__import__")
    return found


def test_the_checker_finds_each_way_in() -> None:
    code = "import pickle\nfrom joblib import load\nimport dill.x\npd.read_pickle(p)\n"
    code += "np.load(p, allow_pickle=True)\n"
    assert offences(ast.parse(code)) == ["pickle", "joblib", "dill.x", "read_pickle", "allow_pickle"]


def test_no_shipped_module_can_unpickle() -> None:
    files = [f for src in SOURCES for f in src.rglob("*.py")]
    assert len(files) > 50, "the sources were found"
    bad = {str(f.relative_to(ROOT)): o for f in files if (o := offences(ast.parse(f.read_text())))}
    assert bad == {}
