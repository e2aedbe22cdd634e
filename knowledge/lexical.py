"""Chinese lexical search: jieba words + CJK character bigrams, scored with BM25 (bm25s).

A whitespace BM25 scores zero on Chinese; jieba alone misses words its dictionary splits
differently (and typos), so each text is indexed as jieba search-mode words (with the domain
vocabulary added) plus overlapping character bigrams of every CJK run.
Snapshots are immutable directories; the registry points at the current one. A snapshot the pointer
no longer names is kept for a grace period (``RETIRED_GRACE_S``), so a reader that read the old pointer
just before a swap can still load it.

Audiences (review F-05, the BM25 part): document frequencies, the average length and so every BM25 score
depend on the whole indexed set. A caller who may not see some documents must get scores computed over the
documents they may see only, or a hidden document changes the ranking of the visible ones (one bit per
probe: "does a hidden document use this word?"). So a snapshot holds, besides the index over every entry,
one index per set of visible access levels that hides something (``audiences/<levels>/``), built from the
same tokens in the same run; ``for_levels`` picks the one for the caller.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.access import ROLE_LEVELS
from core.text import to_halfwidth
from core.vocab import STOPWORDS
from ingest.models import Chunk
from knowledge.lexicon import domain_terms
from knowledge.sqlite_files import fsync_dir, fsync_tree

RETIRED_GRACE_S = 600.0
AUDIENCE_DIR = "audiences"

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


def audience_key(levels: Iterable[str]) -> str:
    """The folder name of the index over the entries whose access level is in ``levels``."""
    return "+".join(sorted(str(x) for x in levels)) or "none"


class LexicalIndex:
    def __init__(self, retriever: Any, ids: list[str], tokenizer: Tokenizer,
                 df: dict[str, int] | None = None, n_docs: int = 0, *,
                 levels: frozenset[str] | None = None, audiences: dict[str, LexicalIndex] | None = None):
        """``levels``: the access levels of the entries it holds (None: a snapshot written before audiences
        existed, which does not say). ``audiences``: visible-levels key -> the index over those entries."""
        self._r = retriever
        self.ids = ids
        self._tok = tokenizer
        self.df = df or {}
        self.n_docs = n_docs
        self.levels = levels
        self.audiences = audiences or {}

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency over whole chunks (not lines)."""
        import math

        return math.log(1 + (self.n_docs + 1) / (self.df.get(token, 0) + 0.5))

    @classmethod
    def build(cls, ids: list[str], texts: list[str], tokenizer: Tokenizer,
              levels: Sequence[str] | None = None, audiences: Iterable[Iterable[str]] = ()) -> LexicalIndex:
        """The index over every entry; with ``levels`` (the access level of each entry), also one index for
        each of ``audiences`` (sets of access levels a caller may see) that hides some entry."""
        corpus = [tokenizer(t) or ["∅"] for t in texts]
        full = cls._over(ids, corpus, tokenizer, frozenset(levels) if levels is not None else None)
        if levels is None:
            return full
        present = frozenset(levels)
        for audience in audiences:
            visible = present & frozenset(str(x) for x in audience)
            key = audience_key(visible)
            if visible == present or key in full.audiences:
                continue  # hides nothing (the full index serves it), or already built
            keep = [j for j, lv in enumerate(levels) if lv in visible]
            full.audiences[key] = cls._over([ids[j] for j in keep], [corpus[j] for j in keep], tokenizer, visible)
        return full

    @classmethod
    def _over(cls, ids: list[str], corpus: list[list[str]], tokenizer: Tokenizer,
              levels: frozenset[str] | None) -> LexicalIndex:
        import bm25s

        r = bm25s.BM25(k1=1.2, b=0.75)
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
        return cls(r if corpus else None, ids, tokenizer, df, n_docs, levels=levels)

    def for_levels(self, allowed: Iterable[str] | None) -> LexicalIndex | None:
        """The index whose statistics count only the entries a caller who sees ``allowed`` may see: this one
        when it hides nothing from them, else the audience built for exactly their visible levels. None when
        there is none (a snapshot without audiences, or a level set no role has): the caller must build one."""
        if allowed is None:
            return self
        if self.levels is None:
            return None
        visible = self.levels & frozenset(str(x) for x in allowed)
        if visible == self.levels:
            return self
        return self.audiences.get(audience_key(visible))

    def save(self, base: Path, written: Callable[[], None] | None = None) -> str:
        """Write an immutable snapshot directory under ``base`` (with its audiences); return its name.
        ``written`` is called once the files are on disk, before the rename (a fault point of the indexer)."""
        name = f"lexical-{uuid.uuid4().hex[:12]}"
        tmp = base / (name + ".tmp")
        tmp.mkdir(parents=True)
        self._write(tmp)
        for key, sub in self.audiences.items():
            d = tmp / AUDIENCE_DIR / key
            d.mkdir(parents=True)
            sub._write(d)
        fsync_tree(tmp)  # on disk before the registry pointer names it (power loss)
        if written is not None:
            written()
        tmp.rename(base / name)
        # the rename, durable: the folder's entry only. Never fsync_tree(base): base is the index folder, and
        # opening and closing the registry's (or Chroma's) SQLite files here would drop this process's locks
        # on them (see knowledge.sqlite_files.fsync_tree)
        fsync_dir(base)
        return name

    def _write(self, d: Path) -> None:
        if self.ids and self._r is not None:
            self._r.save(str(d), show_progress=False)
        (d / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
        stats: dict[str, Any] = {"n_docs": self.n_docs, "df": self.df}
        if self.levels is not None:
            stats["levels"] = sorted(self.levels)
        (d / "df.json").write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, base: Path, name: str, tokenizer: Tokenizer) -> LexicalIndex:
        full = cls._read(base / name, tokenizer)
        aud = base / name / AUDIENCE_DIR
        if aud.is_dir():
            full.audiences = {d.name: cls._read(d, tokenizer) for d in sorted(aud.iterdir()) if d.is_dir()}
        return full

    @classmethod
    def _read(cls, d: Path, tokenizer: Tokenizer) -> LexicalIndex:
        import bm25s

        ids = json.loads((d / "ids.json").read_text(encoding="utf-8"))
        r = bm25s.BM25.load(str(d), show_progress=False) if ids else None
        stats = json.loads((d / "df.json").read_text(encoding="utf-8")) if (d / "df.json").exists() else {}
        levels = frozenset(stats["levels"]) if "levels" in stats else None
        return cls(r, ids, tokenizer, stats.get("df", {}), int(stats.get("n_docs", 0)), levels=levels)

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


def lexical_text(c: Chunk) -> str:
    """What BM25 sees: title and label (so 法規名稱 and 第N條 match) plus the chunk body."""
    return f"{c.title} {c.label} {c.chapter}\n{c.text}"


def passage_lines(c: Chunk) -> list[str]:
    """The 項/款 lines of a chunk long enough to stand as passages of their own."""
    return [ln for ln in c.text.split("\n") if len(ln.strip()) >= 8]


def lexical_entries(chunks: list[Chunk]) -> list[tuple[str, str]]:
    """(entry id, text) for BM25: each whole chunk, plus each 項/款 line of multi-line chunks
    (ids "<chunk_id>:<j>"), so a question matching one 款 of a long article is not drowned by
    the article's length normalisation."""
    out: list[tuple[str, str]] = []
    for c in chunks:
        out.append((c.chunk_id, lexical_text(c)))
        lines = passage_lines(c)
        if len(lines) > 1:
            out.extend((f"{c.chunk_id}:{j}", f"{c.title} {c.label}\n{ln}") for j, ln in enumerate(lines))
    return out


def build_for_chunks(chunks: list[Chunk], tokenizer: Tokenizer,
                     audiences: Iterable[Iterable[str]] | None = None) -> LexicalIndex:
    """The lexical index over ``chunks``, with an audience index for each role's visible levels
    (``core.access.ROLE_LEVELS``) that hides some chunk."""
    entries = lexical_entries(chunks)
    level = {c.chunk_id: str(c.access_level) for c in chunks}
    return LexicalIndex.build([i for i, _ in entries], [t for _, t in entries], tokenizer,
                              [level[i.split(":", 1)[0]] for i, _ in entries],
                              ROLE_LEVELS.values() if audiences is None else audiences)


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
