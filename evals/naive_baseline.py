"""Reference baselines for the retrieval target: what a plain RAG setup gets on the same corpus.

- ``langchain``: each law rendered as plain text (title, then 「第N條」 + text per article), split with
  LangChain's RecursiveCharacterTextSplitter(500, 50), embedded with the same USE-multilingual model,
  cosine top-k; a chunk counts for every article it overlaps.
- ``bm25``: jieba tokens + BM25 (bm25s) over the same chunks.

Run: ``python -m evals.naive_baseline [--dataset evals/datasets/retrieval_dev.jsonl] [--sources knowledge/sources]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from evals.datasets_io import DATASETS_DIR, read_jsonl
from evals.metrics import aggregate, keys, retrieval_item_scores
from knowledge.shipped import SHIPPED_SOURCES


def _documents(sources: Path = SHIPPED_SOURCES) -> list[tuple[str, list[tuple[str, str]]]]:
    docs = []
    for path in sorted(sources.rglob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(d, dict) and "articles" in d:
            docs.append((d["title_zh"], [(a["no"], a["text"]) for a in d["articles"]]))
    return docs


def build_chunks(sources: Path = SHIPPED_SOURCES) -> list[tuple[str, list[tuple[str, str]]]]:
    """(chunk text, [(title, no) it overlaps])."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    out: list[tuple[str, list[tuple[str, str]]]] = []
    for title, arts in _documents(sources):
        text, spans = title + "\n", []
        for no, body in arts:
            start = len(text)
            text += f"第{no}條\n{body}\n"
            spans.append((start, len(text), no))
        pos = 0
        for chunk in splitter.split_text(text):
            at = text.find(chunk, max(0, pos - 60))
            at = at if at >= 0 else text.find(chunk)
            end = at + len(chunk)
            pos = end
            owners = [(title, no) for s, e, no in spans if s < end and e > at]
            out.append((chunk, owners))
    return out


def _ranked(order: np.ndarray, chunks: list[tuple[str, list[tuple[str, str]]]], k: int) -> list[tuple[str, str]]:
    ranked: list[tuple[str, str]] = []
    for i in order:
        for key in chunks[i][1]:
            if key not in ranked:
                ranked.append(key)
        if len(ranked) >= k:
            break
    return ranked[:k]


def run(dataset: Path, k: int = 10, sources: Path = SHIPPED_SOURCES) -> dict[str, Any]:
    import bm25s
    import jieba

    from knowledge.embedders import USEEmbedder

    rows = [r for r in read_jsonl(dataset) if r.get("gold") and not r.get("refuse")]
    chunks = build_chunks(sources)
    emb = USEEmbedder()
    mat = emb.embed_documents([c for c, _ in chunks])
    jieba.setLogLevel(60)
    tok = jieba.Tokenizer()
    bm = bm25s.BM25()
    bm.index([[w for w in tok.cut_for_search(c) if w.strip()] for c, _ in chunks], show_progress=False)
    dense_scores, lex_scores = [], []
    for r in rows:
        q = r["query"]
        order = np.argsort(-(mat @ emb.embed_query(q)))
        dense_scores.append(retrieval_item_scores(_ranked(order, chunks, k), keys(r["gold"]), k))
        s = bm.get_scores([w for w in tok.cut_for_search(q) if w.strip()])
        lex_scores.append(retrieval_item_scores(_ranked(np.argsort(-s), chunks, k), keys(r["gold"]), k))
    return {"chunks": len(chunks), "langchain_dense": aggregate(dense_scores), "jieba_bm25": aggregate(lex_scores)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dataset", default=str(DATASETS_DIR / "retrieval_dev.jsonl"))
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--sources", default=str(SHIPPED_SOURCES), help="law JSON folder (default: the shipped one)")
    a = p.parse_args()
    print(json.dumps(run(Path(a.dataset), a.k, Path(a.sources)), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
