"""scripts/function_length.py: the checker of the 60-line function limit, on tiny samples."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "function_length.py"


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mishu_function_length", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve their module while the class is created
    spec.loader.exec_module(mod)
    return mod


def _body(n: int, indent: str = "    ") -> str:
    return "".join(f"{indent}x{i} = {i}\n" for i in range(n))


SAMPLE = (
    "import functools\n\n\n"
    "def short():\n" + _body(3) + "\n\n"
    "def exactly_sixty():\n" + _body(59) + "\n\n"  # def line + 59 = 60 lines: allowed
    "@functools.cache\n"
    "def decorated():\n" + _body(59) + "\n\n"  # the decorator line counts: 61
    "class Box:\n"
    "    def method(self):\n" + _body(70, "        ") + "\n"
    "    async def outer(self):\n"
    "        def inner():\n" + _body(61, "            ")
)


def test_lists_each_function_over_the_limit_with_its_qualified_name_and_length() -> None:
    fl = _checker()
    found = fl.long_functions(SAMPLE, Path("sample.py"))
    assert sorted((f.name, f.lines) for f in found) == [
        ("Box.method", 71),
        ("Box.outer", 63),  # a nested function counts inside its parent ...
        ("Box.outer.<locals>.inner", 62),  # ... and on its own
        ("decorated", 61),
    ]
    decorated = next(f for f in found if f.name == "decorated")
    assert SAMPLE.splitlines()[decorated.line - 1] == "@functools.cache"
    assert fl.long_functions(SAMPLE, Path("sample.py"), max_lines=100) == []


def test_command_exits_1_listing_the_long_functions_and_0_when_none(tmp_path: Path) -> None:
    (tmp_path / "long.py").write_text(SAMPLE, encoding="utf-8")
    (tmp_path / "ok.py").write_text(textwrap.dedent("def f():\n    return 1\n"), encoding="utf-8")
    run = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, check=False)
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    assert len(lines) == 4 and lines[0].endswith("Box.method (71 lines)")  # longest first
    assert "4 function(s) over 60 lines" in run.stderr
    ok = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "ok.py")], capture_output=True, text=True,
                        check=False)
    assert ok.returncode == 0 and ok.stdout == ""
