"""The dense-search and vector-store contracts (tests/contracts.py) on every backend: embedded Chroma, a real
Chroma server (``chroma run`` on loopback, started by the test, or the one CI starts), and the exact dense
matrix that the embedded default searches (``knowledge.dense``, loaded from the registry's embedding cache)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.models import Chunk
from knowledge.dense import load_dense, text_hash
from knowledge.indexer import vector_entries
from knowledge.registry import Registry
from knowledge.vectorstore import ChromaStore, VectorStore
from tests.contracts import DenseSearchContract, Search, VectorStoreContract


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    if os.environ.get("MISHU_TEST_CHROMA_HOST"):  # the server CI starts (scripts/ci_services.sh)
        yield os.environ["MISHU_TEST_CHROMA_HOST"], int(os.environ.get("MISHU_TEST_CHROMA_PORT", "8000"))
        return
    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(exe).exists():
        pytest.skip("chroma CLI not installed (or set MISHU_TEST_CHROMA_HOST/PORT)")
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


def _name() -> str:
    return f"conf_{uuid.uuid4().hex[:16]}"


class TestEmbeddedChroma(VectorStoreContract):
    @pytest.fixture(autouse=True)
    def _dir(self, tmp_path: Path) -> None:
        self.dir = tmp_path

    def make_store(self) -> VectorStore:
        return ChromaStore(self.embedder, _name(), path=self.dir / "chroma")


class TestChromaServer(VectorStoreContract):
    @pytest.fixture(autouse=True)
    def _server(self, chroma_server: tuple[str, int]) -> None:
        self.host, self.port = chroma_server

    def make_store(self) -> VectorStore:
        return ChromaStore(self.embedder, _name(), host=self.host, port=self.port)


class TestExactDense(DenseSearchContract):
    """The exact matrix of a view: the Indexer's vectors stored in the registry's embedding cache."""

    @pytest.fixture(autouse=True)
    def _dir(self, tmp_path: Path) -> None:
        self.dir = tmp_path

    def index(self, chunks: list[Chunk]) -> Search:
        registry = Registry(self.dir / f"{_name()}.sqlite3")
        entries = vector_entries(chunks)
        vectors = self.embedder.embed_documents([e.text for e in entries])
        registry.store_vectors(self.embedder.name, {text_hash(e.text): v for e, v in zip(entries, vectors, strict=True)})
        with registry.snapshot():
            dense = load_dense(registry, self.embedder.name, chunks)
        assert dense is not None  # every vector is in the cache
        return dense.query

    def test_a_vector_missing_from_the_cache_gives_no_matrix(self) -> None:
        registry = Registry(self.dir / "partial.sqlite3")
        chunks = self.chunks()
        entries = vector_entries(chunks)[:-1]
        vectors = self.embedder.embed_documents([e.text for e in entries])
        registry.store_vectors(self.embedder.name, {text_hash(e.text): v for e, v in zip(entries, vectors, strict=True)})
        with registry.snapshot():
            assert load_dense(registry, self.embedder.name, chunks) is None  # the caller falls back to the store
