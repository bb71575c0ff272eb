"""`pip install topograd[all]` brings every package that topograd's code and examples import."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
# import name -> distribution name, where they differ
DISTRIBUTION = {"PIL": "pillow", "yaml": "pyyaml", "sklearn": "scikit-learn"}
CORE = {"topograd", "numpy", "__future__"}


def imported_packages(folder: Path) -> set[str]:
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in CORE}


def extra(name: str, table: dict) -> set[str]:
    """The distributions an extra installs, following `topograd[a,b]` references."""
    found = set()
    for requirement in table[name]:
        match = re.match(r"([A-Za-z0-9_.-]+)(\[([^\]]*)\])?", requirement)
        dist = match.group(1).lower()
        if dist == "topograd":
            for sub in match.group(3).split(","):
                found |= extra(sub.strip(), table)
        else:
            found.add(dist)
    return found


def test_all_extra_covers_every_import_of_the_code_and_the_examples():
    table = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    wanted = {DISTRIBUTION.get(n, n).lower()
              for n in imported_packages(ROOT / "src") | imported_packages(ROOT / "examples")}
    assert wanted - {"torch"} <= extra("all", table), wanted - extra("all", table)
    assert "torch" not in wanted, "topograd's code and examples must not need PyTorch"
    assert {"onnx", "onnxruntime", "matplotlib"} <= extra("all", table)
    assert extra("all", table) <= extra("test", table)  # the tests see what users see
