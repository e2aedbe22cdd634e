"""The frozen blind splits are byte-identical to their FROZEN manifests (issues 8 and 9): every file of the
folder is listed with its sha256, and nothing is added, removed or edited after freezing. Only hashes are
read here, never the items."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

DATASETS = Path(__file__).resolve().parent.parent / "evals" / "datasets"
FROZEN_SPLITS = ["test", "test-conversations"]
LINE = re.compile(r"^([0-9a-f]{64})  (\S+)$")


def manifest(folder: Path) -> tuple[str, dict[str, str]]:
    lines = (folder / "FROZEN").read_text(encoding="utf-8").splitlines()
    header = lines[0]
    listed: dict[str, str] = {}
    for line in lines[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        m = LINE.match(line)
        assert m, f"{folder.name}/FROZEN: not a '<sha256>  <file>' line: {line!r}"
        listed[m.group(2)] = m.group(1)
    return header, listed


@pytest.mark.parametrize("split", FROZEN_SPLITS)
def test_every_file_of_a_frozen_split_matches_its_manifest(split: str) -> None:
    folder = DATASETS / split
    header, listed = manifest(folder)
    assert re.match(r"# frozen \d{4}-\d{2}-\d{2}", header), header
    present = {p.name for p in folder.iterdir() if p.is_file() and p.name != "FROZEN"}
    assert present == set(listed), f"files added or removed since freezing: {present ^ set(listed)}"
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{split}/{name} was edited"

