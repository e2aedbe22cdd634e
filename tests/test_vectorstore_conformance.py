"""One conformance suite for every VectorStore implementation: embedded Chroma and a real Chroma
server (``chroma run`` on loopback, started by the test)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.models import Chunk, Domain, Unit
from knowledge.embedders import USEEmbedder
from knowledge.vectorstore import ChromaStore, VectorEntry


def _chunk(cid: str, text: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id="d", title="測試法", domain=Domain.procurement, unit=Unit.article, no=cid,
                 label=f"第{cid}條", chapter="", text=text, source_file="x", content_hash="h", version="v",
                 n_tokens=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def embedder() -> USEEmbedder:
    return USEEmbedder()


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    exe = shutil.which("chroma") or str(Path(__import__("sys").executable).with_name("chroma"))
    if not Path(exe).exists():
        pytest.skip("chroma CLI not installed")
    port = _free_port()
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path_factory.mktemp("chroma-srv")), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("chroma server did not start")
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(params=["embedded", "server"])
def store(request: pytest.FixtureRequest, tmp_path: Path, embedder: USEEmbedder) -> ChromaStore:
    if request.param == "embedded":
        return ChromaStore(embedder, f"conf_{tmp_path.name}"[:40], path=tmp_path / "chroma")
    host, port = request.getfixturevalue("chroma_server")
    return ChromaStore(embedder, f"conf_{tmp_path.name}"[:40], host=host, port=port)


def test_add_query_delete_roundtrip(store: ChromaStore, embedder: USEEmbedder) -> None:
    texts = {"1": "押標金的額度以預算金額百分之五為原則", "2": "等標期不得少於十四日", "3": "檔案保存年限屆滿應製作銷毀目錄"}
    chunks = {k: _chunk(k, v) for k, v in texts.items()}
    entries = [VectorEntry(k, c, c.text) for k, c in chunks.items()]
    entries.append(VectorEntry("1:0", chunks["1"], "押標金上限"))  # a second vector of chunk 1
    store.add(entries, embedder.embed_documents([e.text for e in entries]))
    assert store.ids() == {"1", "2", "3"} and store.count() == 4
    hits = store.query(embedder.embed_query("押標金最多收多少"), 10)
    assert hits[0][0] == "1" and len({cid for cid, _ in hits}) == len(hits) == 3  # one entry per chunk
    assert all(-1.0 <= s <= 1.0 + 1e-6 for _, s in hits)
    store.delete(["1"])
    assert store.ids() == {"2", "3"} and store.count() == 2
    assert all(cid != "1" for cid, _ in store.query(embedder.embed_query("押標金"), 10))


def test_empty_store_queries_cleanly(store: ChromaStore, embedder: USEEmbedder) -> None:
    assert store.query(embedder.embed_query("任何問題"), 5) == []
    assert store.ids() == set()
    store.delete(["nope"])  # deleting what is not there is not an error
    assert store.count() == 0
