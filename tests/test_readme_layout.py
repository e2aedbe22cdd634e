"""README's "Layout and data flow" section names every package and every module directly inside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "prompts", "ingest", "knowledge", "assistant", "evals", "mishu", "ui")
TOP = (*PACKAGES, "docs", "scripts", "tests")


def _layout_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Layout and data flow", 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block, "README has no layout block"
    return block.group(1)


def test_layout_lists_every_top_level_folder_and_package_module() -> None:
    block = _layout_block()
    missing = [f"{d}/" for d in TOP if not re.search(rf"^{d}/", block, re.M)]
    for pkg in PACKAGES:
        for child in sorted((ROOT / pkg).iterdir()):
            if child.name.startswith(("_", ".")) or child.name.endswith(".egg-info"):
                continue
            if child.suffix == ".py" and child.name not in block:
                missing.append(f"{pkg}/{child.name}")
            elif child.is_dir() and f"{child.name}/" not in block:
                missing.append(f"{pkg}/{child.name}/")
    assert not missing, f"README layout does not mention: {missing}"
