"""The read side of the knowledge base: documents, articles, chunks and the lexical snapshot.

A ``KnowledgeBase`` reloads itself when the registry's generation changes (another process
re-indexed), so a long-running API server picks up re-indexing without restart and never mixes
two generations: it swaps its whole in-memory view at once. A view (documents, sections, chunks and the
lexical snapshot pointer) is read in one registry read transaction, so it is one committed state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from core.access import AccessLevel
from core.vocab import Domain, Unit
from ingest.models import Chunk, Section
from knowledge.dense import DenseMatrix, load_dense
from knowledge.embedders import Embedder
from knowledge.lexical import LexicalIndex, Tokenizer, build_for_chunks
from knowledge.lexicon import domain_terms
from knowledge.registry import DocumentRecord, Registry
from knowledge.vectorstore import VectorStore


class Article(Section):
    """One citable unit in full, as stored (verbatim): the parsed unit (ingest.models.Section: number,
    label, chapter path, text, deleted) with the version and access facts of the document it belongs to."""

    doc_id: str
    title: str
    domain: Domain
    unit: Unit
    version: str
    amended: date | None
    effective: date | None
    partial: bool
    access_level: AccessLevel
    source_path: str
    is_current: bool = True


@dataclass
class View:
    generation: int
    documents: list[DocumentRecord]
    chunks: dict[str, Chunk]
    lexical: LexicalIndex | None
    current_versions: dict[str, str]  # doc_id -> version considered current
    titles: list[str] = field(default_factory=list)
    sections: dict[str, list[Section]] = field(default_factory=dict)  # source_path -> sections
    vocabulary: frozenset[str] = frozenset()  # corpus words (jieba words of the indexed texts + lexicon)
    dense: DenseMatrix | None = None  # exact dense search over this view's vectors (embedded store)


def _version_date(d: DocumentRecord) -> date:
    return d.effective or d.amended or date.min


def current_versions(docs: list[DocumentRecord], as_of: date | None = None) -> dict[str, str]:
    """doc_id -> the version in force (latest, or latest on/before ``as_of``)."""
    best: dict[str, DocumentRecord] = {}
    for d in docs:
        if as_of is not None and (d.amended or date.min) > as_of:
            continue
        cur = best.get(d.doc_id)
        if cur is None or _version_date(d) > _version_date(cur):
            best[d.doc_id] = d
    return {k: v.version for k, v in best.items()}


def corpus_vocabulary(lexical: LexicalIndex | None) -> frozenset[str]:
    """The words of the corpus: every jieba word of the indexed chunks (the lexical index's document
    frequencies, without its character-bigram tokens) plus the domain lexicon. Empty without an index."""
    if lexical is None or not lexical.df:
        return frozenset()
    words = {t for t in lexical.df if not t.startswith("#") and len(t) >= 2}
    return frozenset(words | {t.lower() for t in domain_terms()})


class KnowledgeBase:
    def __init__(self, registry: Registry, store: VectorStore, embedder: Embedder, tokenizer: Tokenizer,
                 lexical_dir: Path, *, exact_dense: bool = False):
        """``exact_dense``: search the view's own vectors instead of the store (``knowledge.dense``; for
        the embedded Chroma, which other processes' writes leave stale)."""
        self.exact_dense = exact_dense
        self.registry = registry
        self.store = store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.lexical_dir = lexical_dir
        self._lock = threading.Lock()
        self._view: View | None = None
        self._vocabularies: dict[tuple[int, frozenset[AccessLevel]], frozenset[str]] = {}
        self._lexicals: dict[tuple[int, frozenset[AccessLevel]], LexicalIndex] = {}
        self._lexical_lock = threading.Lock()

    # --- view management -----------------------------------------------------------------------
    def view(self) -> View:
        gen = self.registry.generation()
        v = self._view
        if v is not None and v.generation == gen:
            return v
        with self._lock:
            if self._view is not None and self._view.generation == gen:
                return self._view
            try:
                self._view = self._load()
            except FileNotFoundError:  # the snapshot was retired between our read and the load: read again
                self._view = self._load()
            return self._view

    def _load(self) -> View:
        reg = self.registry
        with reg.snapshot():
            gen = reg.generation()
            docs = reg.documents()
            chunks = {c.chunk_id: c for c in reg.chunks()}
            sections = reg.all_sections()
            snap = reg.get_state("lexical_snapshot")
            dense = load_dense(reg, self.embedder.name, list(chunks.values())) if self.exact_dense else None
        lexical = LexicalIndex.load(self.lexical_dir, snap, self.tokenizer) if snap else None
        return View(gen, docs, chunks, lexical, current_versions(docs), sorted({d.title for d in docs}), sections,
                    corpus_vocabulary(lexical), dense)

    def dense_query(self, view: View, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """Best-first (chunk_id, similarity) of the dense channel for ``view``."""
        if view.dense is not None:
            return view.dense.query(vector, n)
        return self.store.query(vector, n)

    def is_empty(self) -> bool:
        return not self.view().documents

    def documents(self) -> list[DocumentRecord]:
        return self.view().documents

    def titles(self, allowed: set[AccessLevel] | None = None) -> list[str]:
        """Titles of the documents the caller may see (all when ``allowed`` is None): every oracle over titles
        (refusal wording, title resolution) is built from these, so a hidden title never shapes an answer."""
        v = self.view()
        if self.sees_everything(allowed):
            return v.titles
        return sorted({d.title for d in v.documents if allowed is not None and d.access_level in allowed})

    def sees_everything(self, allowed: set[AccessLevel] | None) -> bool:
        """True when ``allowed`` hides no indexed document (then corpus-wide statistics are the caller's)."""
        return allowed is None or all(d.access_level in allowed for d in self.view().documents)

    def vocabulary(self, allowed: set[AccessLevel] | None = None) -> frozenset[str]:
        """The corpus words the typo fixer may rely on: those of the documents the caller may see (a word of
        a hidden document must not change how a question is read). Built once per generation and level set."""
        v = self.view()
        if self.sees_everything(allowed):
            return v.vocabulary
        key = (v.generation, frozenset(allowed or ()))
        found = self._vocabularies.get(key)
        if found is None:
            found = corpus_vocabulary(self.lexical_for(allowed))
            self._vocabularies = {k: x for k, x in self._vocabularies.items() if k[0] == v.generation}
            self._vocabularies[key] = found
        return found

    def lexical_for(self, allowed: set[AccessLevel] | None = None) -> LexicalIndex | None:
        """The BM25 index whose statistics (document frequencies, lengths, so every score) count only the
        documents the caller may see: a hidden document must not move a visible one up or down (review F-05).
        The snapshot holds one per role (``knowledge.lexical``); a snapshot written before audiences existed
        gets one built here, in memory, once per generation and level set."""
        v = self.view()
        if v.lexical is None or self.sees_everything(allowed):
            return v.lexical
        found = v.lexical.for_levels(allowed)
        if found is not None:
            return found
        key = (v.generation, frozenset(allowed or ()))
        with self._lexical_lock:
            found = self._lexicals.get(key)
            if found is None:
                chunks = [c for c in v.chunks.values() if allowed is not None and c.access_level in allowed]
                found = build_for_chunks(chunks, self.tokenizer, audiences=())
                self._lexicals = {k: x for k, x in self._lexicals.items() if k[0] == v.generation}
                self._lexicals[key] = found
        return found

    def current_for(self, allowed: set[AccessLevel] | None, as_of: date | None = None) -> dict[str, str]:
        """doc_id -> the version in force among the versions the caller may see: a newer version the caller
        may not see neither hides the older one nor marks it "not current" (review F-23)."""
        v = self.view()
        if as_of is None and self.sees_everything(allowed):
            return v.current_versions
        docs = v.documents if allowed is None else [d for d in v.documents if d.access_level in allowed]
        return current_versions(docs, as_of)

    # --- articles ------------------------------------------------------------------------------
    def _doc_for(self, title: str, as_of: date | None,
                 allowed: set[AccessLevel] | None = None) -> DocumentRecord | None:
        v = self.view()
        cands = [d for d in v.documents if d.title == title and (allowed is None or d.access_level in allowed)]
        if not cands:
            return None
        versions = current_versions(cands, as_of)
        if not versions:
            return None
        ver = next(iter(versions.values()))
        return next(d for d in cands if d.version == ver)

    def get_article(self, title: str, no: str, as_of: date | None = None,
                    allowed: set[AccessLevel] | None = None) -> Article | None:
        doc = self._doc_for(title, as_of, allowed)
        if doc is None:
            return None
        for s in self.view().sections.get(doc.source_path, []):
            if s.no == no:
                return self._article(doc, s.no, s.label, s.chapter, s.text, s.deleted, allowed)
        return None

    def articles_of(self, title: str, as_of: date | None = None,
                    allowed: set[AccessLevel] | None = None) -> list[Article]:
        doc = self._doc_for(title, as_of, allowed)
        if doc is None:
            return []
        return [self._article(doc, s.no, s.label, s.chapter, s.text, s.deleted, allowed)
                for s in self.view().sections.get(doc.source_path, [])]

    def _article(self, doc: DocumentRecord, no: str, label: str, chapter: list[str], text: str,
                 deleted: bool, allowed: set[AccessLevel] | None = None) -> Article:
        cur = self.current_for(allowed).get(doc.doc_id) == doc.version
        return Article(doc_id=doc.doc_id, title=doc.title, no=no, label=label, chapter=chapter, text=text,
                       domain=doc.domain, unit=doc.unit, version=doc.version, amended=doc.amended,
                       effective=doc.effective, partial=doc.partial, access_level=doc.access_level,
                       source_path=doc.source_path, deleted=deleted, is_current=cur)

    def versions_of(self, title: str) -> list[DocumentRecord]:
        return [d for d in self.view().documents if d.title == title]
