"""Chinese lexical search: jieba words + CJK character bigrams, scored with BM25 (bm25s).

A whitespace BM25 scores zero on Chinese; jieba alone misses words its dictionary splits
differently (and typos), so each text is indexed as jieba search-mode words (with the domain
vocabulary added) plus overlapping character bigrams of every CJK run.
Snapshots are immutable directories; the registry points at the current one. A snapshot the pointer
no longer names is kept for a grace period (``RETIRED_GRACE_S``), so a reader that read the old pointer
just before a swap can still load it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from core.text import to_halfwidth
from core.vocab import STOPWORDS
from knowledge.lexicon import domain_terms
from knowledge.sqlite_files import fsync_tree

RETIRED_GRACE_S = 600.0

_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]")


class Tokenizer:
    def __init__(self, extra_terms: list[str] | None = None):
        import jieba

        jieba.setLogLevel(60)
        self._jieba = jieba.Tokenizer()
        for term in [*domain_terms(), *(extra_terms or [])]:
            self._jieba.add_word(term, freq=200_000)

    def __call__(self, text: str) -> list[str]:
        # NFC on the index side too: the law texts contain CJK compatibility ideographs (e.g. U+F967)
        # that users never type; stored texts stay verbatim, only tokens are normalised.
        text = unicodedata.normalize("NFC", to_halfwidth(text)).lower()
        words = [w.strip() for w in self._jieba.cut_for_search(text)]
        tokens = [w for w in words if w and _WORD.search(w) and w not in STOPWORDS]
        for run in _CJK_RUN.findall(text):
            tokens.extend("#" + run[i:i + 2] for i in range(len(run) - 1))
        return tokens


class LexicalIndex:
    def __init__(self, retriever: Any, ids: list[str], tokenizer: Tokenizer,
                 df: dict[str, int] | None = None, n_docs: int = 0):
        self._r = retriever
        self.ids = ids
        self._tok = tokenizer
        self.df = df or {}
        self.n_docs = n_docs

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency over whole chunks (not lines)."""
        import math

        return math.log(1 + (self.n_docs + 1) / (self.df.get(token, 0) + 0.5))

    @classmethod
    def build(cls, ids: list[str], texts: list[str], tokenizer: Tokenizer) -> LexicalIndex:
        import bm25s

        r = bm25s.BM25(k1=1.2, b=0.75)
        corpus = [tokenizer(t) or ["∅"] for t in texts]
        if corpus:
            r.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        n_docs = 0
        for i, toks in zip(ids, corpus, strict=True):
            if ":" in i:
                continue
            n_docs += 1
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        return cls(r, ids, tokenizer, df, n_docs)

    def save(self, base: Path) -> str:
        """Write an immutable snapshot directory under ``base``; return its name."""
        name = f"lexical-{uuid.uuid4().hex[:12]}"
        tmp = base / (name + ".tmp")
        tmp.mkdir(parents=True)
        if self.ids:
            self._r.save(str(tmp), show_progress=False)
        (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
        (tmp / "df.json").write_text(json.dumps({"n_docs": self.n_docs, "df": self.df}, ensure_ascii=False),
                                     encoding="utf-8")
        fsync_tree(tmp)  # on disk before the registry pointer names it (power loss)
        tmp.rename(base / name)
        fsync_tree(base)
        return name

    @classmethod
    def load(cls, base: Path, name: str, tokenizer: Tokenizer) -> LexicalIndex:
        import bm25s

        d = base / name
        ids = json.loads((d / "ids.json").read_text(encoding="utf-8"))
        r = bm25s.BM25.load(str(d), show_progress=False) if ids else None
        stats = json.loads((d / "df.json").read_text(encoding="utf-8")) if (d / "df.json").exists() else {}
        return cls(r, ids, tokenizer, stats.get("df", {}), int(stats.get("n_docs", 0)))

    def scores(self, query: str) -> np.ndarray:
        if not self.ids or self._r is None:
            return np.zeros(0, dtype=np.float32)
        toks = self._tok(query)
        if not toks:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self._r.get_scores(toks), dtype=np.float32)

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        s = self.scores(query)
        if s.size == 0:
            return []
        top = np.argsort(-s)[: n * 4]
        out: list[tuple[str, float]] = []
        seen: set[str] = set()
        for i in top:
            if s[i] <= 0:
                break
            cid = self.ids[i].split(":", 1)[0]
            if cid not in seen:
                seen.add(cid)
                out.append((cid, float(s[i])))
                if len(out) >= n:
                    break
        return out


def retire_snapshot(base: Path, name: str | None) -> None:
    """Mark a snapshot as no longer current (its mtime starts the grace period)."""
    if name and (base / name).is_dir():
        os.utime(base / name)


def prune_snapshots(base: Path, keep: set[str], grace_s: float = RETIRED_GRACE_S) -> None:
    """Delete snapshot folders other than ``keep`` that were retired (or left half-written) more than
    ``grace_s`` seconds ago."""
    if not base.exists():
        return
    cutoff = time.time() - grace_s
    for d in base.iterdir():
        if d.is_dir() and d.name.startswith("lexical-") and d.name not in keep and d.stat().st_mtime < cutoff:
            shutil.rmtree(d, ignore_errors=True)
