"""The house's shape (ARCHITECTURE.md): checked on the source, so a change that breaks it fails.

- No import cycles between modules, except the one loop every define-by-run engine has
  (the tensor, the primitives and autograd).
- No import left at the bottom of a file to dodge a cycle (``# noqa: E402``).
- The Keras face defines no primitive of its own (its layers call topograd.primitives).
- Only the engine reads a node's edges (``next_edges[...]``); primitives ask
  ``ctx.needs_input_grad``.
- ``topograd.io`` imports no face (keras, nn, train, cli).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "topograd"
CORE = ("topograd.tensor", "topograd.primitives", "topograd.autograd", "topograd.dtypes",
        "topograd.creation", "topograd.ops", "topograd.random", "topograd._device")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def import_graph() -> dict[str, set[str]]:
    """module -> the topograd modules it imports at module level (not inside functions)."""
    modules = {module_name(p): p for p in SRC.rglob("*.py")}
    graph = {}
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_package = path.name == "__init__.py"
        deps = set()
        for node in tree.body:  # module level only: imports inside functions run late
            if isinstance(node, ast.If | ast.Try):
                body = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
            else:
                body = [node]
            for n in body:
                if isinstance(n, ast.Import):
                    targets = [a.name for a in n.names]
                elif isinstance(n, ast.ImportFrom):
                    base = resolve(mod, is_package, n.level, n.module)
                    targets = [base] + [f"{base}.{a.name}" for a in n.names]
                else:
                    continue
                for t in targets:
                    while t and t not in modules:
                        t = t.rpartition(".")[0]
                    if t and t != mod and t.startswith("topograd"):
                        deps.add(t)
        graph[mod] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def is_core(module: str) -> bool:
    return module == "topograd" or any(module == c or module.startswith(c + ".") for c in CORE)


def test_no_import_cycles_outside_the_core_loop():
    graph = import_graph()
    # a package's __init__ importing its own submodules is not a cycle of concepts
    for mod, deps in graph.items():
        graph[mod] = {d for d in deps if not mod.startswith(d + ".")}
    bad = [c for c in cycles(graph) if not all(is_core(m) for m in c)]
    assert not bad, "import cycles: " + "; ".join(" <-> ".join(c) for c in bad)


def test_no_imports_parked_at_the_bottom_of_a_file():
    found = [f"{p.relative_to(SRC)}:{i}" for p in SRC.rglob("*.py")
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"noqa:.*E402", line)]
    assert not found, found


def test_keras_defines_no_primitive():
    found = []
    for p in (SRC / "keras").rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    getattr(b, "id", getattr(b, "attr", "")) in ("Primitive", "Function")
                    for b in node.bases):
                found.append(f"{p.relative_to(SRC)}:{node.name}")
    assert not found, found


def test_only_the_engine_reads_next_edges():
    found = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
             if "next_edges[" in p.read_text(encoding="utf-8")
             and p.parent.name != "autograd"]
    assert not found, found


def test_io_imports_no_face():
    faces = ("topograd.keras", "topograd.nn", "topograd.train", "topograd.cli")
    bad = []
    for p in (SRC / "io").rglob("*.py"):
        mod = module_name(p)
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):  # late imports too
            if isinstance(n, ast.Import):
                names = [a.name for a in n.names]
            elif isinstance(n, ast.ImportFrom):
                base = resolve(mod, p.name == "__init__.py", n.level, n.module)
                names = [base] + [f"{base}.{a.name}" for a in n.names]
            else:
                continue
            bad += [f"{p.relative_to(SRC)}:{n.lineno} {t}" for t in names if t.startswith(faces)]
    assert not bad, bad
