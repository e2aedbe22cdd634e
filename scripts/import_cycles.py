#!/usr/bin/env python3
"""Import cycles between the project's modules and packages (eager, lazy and TYPE_CHECKING imports).

Builds the import graph of every non-test module from the AST (imports inside functions count, and so do
imports under ``if TYPE_CHECKING:``), resolves relative imports, and reports the strongly connected
components (Tarjan) of two graphs:

- modules: ``a.b.c -> a.b.d`` for each import statement;
- packages: the top-level packages (``knowledge -> ingest``).

An import of ``pkg.mod`` also depends on ``pkg`` (its ``__init__`` runs first), so a package ``__init__``
that re-exports a submodule which imports the package back is a cycle. Exit code 1 when any cycle exists.

Usage: ``python scripts/import_cycles.py [--verbose]`` from the repository root.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "prompts", "ingest", "knowledge", "assistant", "evals", "mishu", "ui")


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under the project's packages."""
    out: dict[str, Path] = {}
    for pkg in PACKAGES:
        base = root / pkg
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(root).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_pkg:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that ``module`` imports (any import statement anywhere in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_pkg = path.name == "__init__.py"
    explicit: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_pkg, node)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        explicit.update(t for t in (_closest(n, known) for n in names) if t is not None)
    # importing a.b.c runs a/__init__ and a/b/__init__ first; a module's own parent packages are already
    # being initialised, so only the parents of other packages count as implicit edges
    parts = module.split(".")
    own_parents = {".".join(parts[:i]) for i in range(1, len(parts))}
    implicit = {".".join(t.split(".")[:i]) for t in explicit for i in range(1, t.count(".") + 1)}
    return (explicit | (implicit & known) - own_parents) - {module}


def _closest(name: str, known: set[str]) -> str | None:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        cand = ".".join(parts[:i])
        if cand in known:
            return cand
    return None


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = module_files(root)
    known = set(files)
    return {m: imports_of(m, p, known) for m, p in files.items()}


def package_graph(g: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m, targets in g.items():
        top = m.split(".")[0]
        out.setdefault(top, set()).update(t.split(".")[0] for t in targets if t.split(".")[0] != top)
    return out


def strongly_connected(g: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative); components with more than one node."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(g):
        if start in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(g.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(g.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--verbose", action="store_true", help="print the edges inside each cycle")
    args = p.parse_args(argv)
    g = graph()
    found = 0
    for title, gg in (("package", package_graph(g)), ("module", g)):
        for comp in strongly_connected(gg):
            found += 1
            print(f"{title} cycle: {' <-> '.join(comp)}")
            if args.verbose:
                members = set(comp)
                for m in comp:
                    for t in sorted(gg[m] & members):
                        print(f"    {m} -> {t}")
    if found:
        return 1
    print(f"no import cycles ({len(g)} modules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
