"""F-06: with more than one process the dense index stays right. Two long-lived reader processes open the
embedded Chroma index (as two API workers do) and search; a third process (`mishu ingest`) adds a
document and changes another; both readers then find the new and the changed text through the dense
channel (a dense-only retriever), and never an old chunk of the changed document.

Real components: subprocesses, embedded Chroma, the USE embedder, SQLite registry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAW = ROOT / "knowledge" / "sources" / "procurement" / "tender-period-standards.json"

READER = textwrap.dedent("""
    import json, sys
    from knowledge.retrieval import HybridRetriever, RetrievalConfig
    from mishu.app import Container
    from mishu.settings import Settings
    c = Container(Settings(_env_file=None, data_dir=sys.argv[1]))
    dense_only = HybridRetriever(c.kb, RetrievalConfig(lexical=False, rerank=False, expand=False))
    dense_only.search("等標期")  # opens the embedded Chroma and loads the view before the ingest
    print("ready", flush=True)
    for line in sys.stdin:
        hits = dense_only.search(line.strip(), 5)
        print(json.dumps([[h.title, h.no, h.text, h.matched] for h in hits], ensure_ascii=False), flush=True)
""")


def _doc(title: str, body: str) -> str:
    return (
        f"---\ndoc_id: {title}\ntitle: {title}\ndomain: plan\nversion: 2026-01-01\naccess_level: public\n---\n\n"
        f"# {title}\n\n### 第 1 條\n\n{body}\n"
    )


class Reader:
    def __init__(self, data: Path) -> None:
        env = dict(os.environ, OMP_NUM_THREADS="1", MISHU_EMBED_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", READER, str(data)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def search(self, q: str) -> list[list[Any]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(q + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def _ingest(data: Path, src: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mishu.cli", "--data-dir", str(data), "ingest", str(src)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-2000:]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    src, data = tmp_path / "src", tmp_path / "data"
    src.mkdir()
    (src / LAW.name).write_bytes(LAW.read_bytes())
    (src / "garden.md").write_text(
        _doc("市府花園澆水要點", "市府花園的草皮每週澆水兩次，由總務科負責。"), encoding="utf-8"
    )
    _ingest(data, src)
    yield src, data


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_ingest_in_one_process_is_seen_densely_by_the_others(setup: tuple[Path, Path]) -> None:
    src, data = setup
    readers = [Reader(data), Reader(data)]
    try:
        for r in readers:  # before: the garden rule is the old text, no drone document
            hits = r.search("花園草皮多久澆水一次")
            assert hits and hits[0][0] == "市府花園澆水要點" and "兩次" in hits[0][2]
        (src / "drone.md").write_text(
            _doc("市政大樓無人機巡檢要點", "無人機巡檢市政大樓外牆，應於上午九時前起飛並避開人群。"),
            encoding="utf-8",
        )
        (src / "garden.md").write_text(
            _doc("市府花園澆水要點", "市府花園的草皮每週澆水三次，並於夏季清晨增加一次。"), encoding="utf-8"
        )
        _ingest(data, src)  # a third process writes
        readers.append(Reader(data))  # control: a process opened after the ingest
        for r in reversed(readers):
            drone = r.search("無人機什麼時候可以起飛巡檢外牆")
            assert drone and drone[0][0] == "市政大樓無人機巡檢要點" and "dense" in drone[0][3], drone
            garden = r.search("花園草皮多久澆水一次")
            assert garden[0][0] == "市府花園澆水要點" and "三次" in garden[0][2], garden
            assert not any("兩次" in h[2] for h in garden)  # no chunk of the old version
    finally:
        for r in readers:
            r.close()
