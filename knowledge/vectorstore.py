"""Vector store behind a Protocol; Chroma (embedded persistent client or a Chroma server).

We always hand Chroma our own embedding function (its default one downloads a model) and we pass
pre-computed vectors on write (the registry caches them by text hash), so Chroma never embeds
anything by itself. Telemetry is disabled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ingest.models import Chunk
from knowledge.embedders import ChromaEmbeddingFunction, Embedder

if TYPE_CHECKING:
    from chromadb.base_types import InclusionExclusionOperator, LiteralValue


class VectorStore(Protocol):
    """Holds one or more vectors per chunk (the whole chunk, and each of its 項/款 lines)."""

    def add(self, entries: list[VectorEntry], vectors: np.ndarray) -> None: ...

    def delete(self, chunk_ids: list[str]) -> None: ...

    def ids(self) -> set[str]:
        """Chunk ids that have at least one vector."""
        ...

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """Best-first (chunk_id, similarity); a chunk appears once (its best vector)."""
        ...

    def count(self) -> int: ...


@dataclass(frozen=True)
class VectorEntry:
    vec_id: str  # "<chunk_id>" for the whole chunk, "<chunk_id>:<j>" for its j-th line
    chunk: Chunk
    text: str


def _meta(ch: Chunk) -> dict[str, Any]:
    return {
        "chunk_id": ch.chunk_id, "doc_id": ch.doc_id, "title": ch.title, "no": ch.no, "domain": ch.domain.value,
        "version": ch.version, "access_level": ch.access_level.value,
        "amended": ch.amended.isoformat() if ch.amended else "", "part": ch.part,
    }


class ChromaStore:
    def __init__(self, embedder: Embedder, collection: str, path: Path | None = None,
                 host: str | None = None, port: int = 8000):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if host:
            self._client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        else:
            if path is None:
                raise ValueError("embedded Chroma needs a path")
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        name = f"{collection}_{embedder.name.replace(':', '_').replace('/', '_')}"[:60]
        self._col = self._client.get_or_create_collection(
            name=name, embedding_function=ChromaEmbeddingFunction(embedder),
            # a wide search beam makes the approximate search effectively exact at this corpus size
            # (~10k vectors), so rankings do not depend on the order vectors were inserted
            metadata={"hnsw:space": "cosine", "hnsw:search_ef": 400, "hnsw:construction_ef": 200},
        )

    def add(self, entries: list[VectorEntry], vectors: np.ndarray) -> None:
        for i in range(0, len(entries), 1000):
            part = entries[i:i + 1000]
            self._col.upsert(ids=[e.vec_id for e in part],
                             embeddings=[v.tolist() for v in vectors[i:i + 1000]],
                             metadatas=[_meta(e.chunk) for e in part],
                             documents=[e.text for e in part])

    def delete(self, chunk_ids: list[str]) -> None:
        for i in range(0, len(chunk_ids), 500):
            batch: list[LiteralValue] = list(chunk_ids[i:i + 500])
            in_batch: dict[InclusionExclusionOperator, list[LiteralValue]] = {"$in": batch}
            self._col.delete(where={"chunk_id": in_batch})

    def ids(self) -> set[str]:
        metas = self._col.get(include=["metadatas"])["metadatas"] or []
        return {str(m["chunk_id"]) for m in metas if m and "chunk_id" in m}

    def count(self) -> int:
        return int(self._col.count())

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        # no count() first (a round trip of its own): Chroma returns fewer results, or none, when the
        # collection holds fewer than n vectors
        res = self._col.query(query_embeddings=[vector.tolist()], n_results=max(1, n), include=["distances"])
        out: list[tuple[str, float]] = []
        seen: set[str] = set()
        dists = (res.get("distances") or [[0.0] * len(res["ids"][0])])[0]
        for vid, d in zip(res["ids"][0], dists, strict=True):
            cid = vid.split(":", 1)[0]
            if cid not in seen:
                seen.add(cid)
                out.append((cid, 1.0 - float(d)))
        return out
