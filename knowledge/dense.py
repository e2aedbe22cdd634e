"""Exact dense search over a view's own vectors, for the embedded default (F-06).

An embedded Chroma (PersistentClient) is not process-safe: a process that opened it before another process
re-indexed keeps its in-memory HNSW, and its dense channel misses every vector written since (reproduced
by tests/test_multiprocess_index.py with chromadb 1.5.9: a second API worker or a reader kept answering
from the old vectors after a `mishu ingest`). So with the embedded store the read side does not query
Chroma: each view loads the vectors of its own chunks from the registry's embedding cache, inside the same
read transaction as the chunks, and searches them exactly (cosine, one matrix product). Dense results then
always belong to the view's generation, in every process. A Chroma server (``MISHU_CHROMA_HOST``) is
process-safe and is queried as before.

Size: one row per vector entry (a chunk, plus one per 項/款 line), 512 float32 each: about 21 MB and
1-2 ms a query for the shipped corpus (~10k entries).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ingest.models import Chunk
from knowledge.registry import Registry

log = logging.getLogger("mishu.knowledge.dense")
HEAD_ROWS = 8  # rows per chunk sought looked at before the full order (_best_first)


def text_hash(text: str) -> str:
    """Key of the registry's embedding cache (the indexer stores every vector under it)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DenseMatrix:
    chunk_ids: list[str]  # the chunk of each row
    matrix: np.ndarray  # rows L2-normalised, float32

    def query(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """Best-first (chunk_id, cosine similarity); a chunk appears once (its best row)."""
        if not self.chunk_ids or n <= 0:
            return []
        q = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        sims = self.matrix @ (q / norm if norm else q)
        out: list[tuple[str, float]] = []
        seen: set[str] = set()
        for i in _best_first(sims, n):
            cid = self.chunk_ids[i]
            if cid not in seen:
                seen.add(cid)
                out.append((cid, float(sims[i])))
                if len(out) >= n:
                    break
        return out


def _best_first(sims: np.ndarray, n: int) -> Iterator[int]:
    """Row indices by similarity, best first, ties in row order: the order of a stable argsort of ``-sims``,
    without sorting every row when ``n`` chunks are found early. A chunk has one row per 項/款 line, so the
    rows at or above the ``HEAD_ROWS * n``-th best similarity come first (every tie at the cut included, so
    they are exactly the first rows of the full order), and the full order follows only if they hold fewer
    than ``n`` chunks."""
    m = HEAD_ROWS * n
    if m < sims.size:
        cut = sims[np.argpartition(sims, sims.size - m)[sims.size - m]]
        if not np.isnan(cut):
            head = np.flatnonzero(sims >= cut)  # in row order, which a stable sort keeps among ties
            head = head[np.argsort(-sims[head], kind="stable")]
            yield from head.tolist()
            yield from np.argsort(-sims, kind="stable")[head.size:].tolist()
            return
    yield from np.argsort(-sims, kind="stable").tolist()


def load_dense(registry: Registry, model: str, chunks: list[Chunk]) -> DenseMatrix | None:
    """The view's vectors from the embedding cache (call inside ``registry.snapshot()``); None when one is
    missing (the caller then falls back to the vector store)."""
    from knowledge.indexer import vector_entries

    entries = vector_entries(chunks)
    hashes = [text_hash(e.text) for e in entries]
    cached = registry.cached_vectors(model, sorted(set(hashes)))
    missing = sum(1 for h in set(hashes) if h not in cached)
    if missing:
        log.warning(
            "%d vectors of the view are not in the embedding cache: dense search uses the store", missing
        )
        return None
    if not entries:
        return DenseMatrix([], np.zeros((0, 1), dtype=np.float32))
    m = np.vstack([cached[h] for h in hashes]).astype(np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return DenseMatrix([e.chunk.chunk_id for e in entries], m / norms)
