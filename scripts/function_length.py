#!/usr/bin/env python3
"""Functions longer than the limit (60 lines) in the project's non-test code.

A function's length is its whole span in the file, from its first decorator (or ``def``) to its last line,
docstring and comments included; a nested function counts inside its parent and on its own. Checked
folders: assistant, core, evals, ingest, knowledge, mishu, ui and scripts (tests are not checked).

Usage: ``python scripts/function_length.py [--max 60] [PATH ...]`` from the repository root. Lists every
function over the limit, longest first, as ``path:line name (N lines)``; exit code 1 when there is one.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("assistant", "core", "evals", "ingest", "knowledge", "mishu", "ui", "scripts")
MAX_LINES = 60


@dataclass(frozen=True)
class LongFunction:
    path: Path
    line: int
    name: str  # qualified within the file, e.g. "Indexer._ingest" or "outer.<locals>.inner"
    lines: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.name} ({self.lines} lines)"


def _functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            name = f"{prefix}{node.name}"
            yield name, node
            yield from _functions(node, f"{name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def long_functions(source: str, path: Path, max_lines: int = MAX_LINES) -> list[LongFunction]:
    """The functions of one module's source that span more than ``max_lines`` lines."""
    out = []
    for name, fn in _functions(ast.parse(source, filename=str(path))):
        first = min([fn.lineno, *(d.lineno for d in fn.decorator_list)])
        length = (fn.end_lineno or fn.lineno) - first + 1
        if length > max_lines:
            out.append(LongFunction(path, first, name, length))
    return out


def python_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            files.extend(f for f in sorted(p.rglob("*.py")) if ".venv" not in f.parts)
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="List functions over the line limit (exit 1 when any).")
    ap.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the checked packages)")
    ap.add_argument("--max", type=int, default=MAX_LINES, help=f"longest allowed function (default {MAX_LINES})")
    args = ap.parse_args(argv)
    paths = args.paths or [ROOT / name for name in CHECKED]
    found: list[LongFunction] = []
    for f in python_files(paths):
        rel = f.resolve().relative_to(ROOT) if f.resolve().is_relative_to(ROOT) else f
        found.extend(long_functions(f.read_text(encoding="utf-8"), rel, args.max))
    for lf in sorted(found, key=lambda x: (-x.lines, str(x.path), x.line)):
        print(lf)
    if found:
        print(f"{len(found)} function(s) over {args.max} lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
