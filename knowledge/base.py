"""The read side of the knowledge base: documents, articles, chunks and the lexical snapshot.

A ``KnowledgeBase`` reloads itself when the registry's generation changes (another process
re-indexed), so a long-running API server picks up re-indexing without restart and never mixes
two generations: it swaps its whole in-memory view at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import BaseModel

from ingest.models import AccessLevel, Chunk, Domain, Unit
from knowledge.embedders import Embedder
from knowledge.lexical import LexicalIndex, Tokenizer
from knowledge.registry import DocumentRecord, Registry
from knowledge.vectorstore import VectorStore


class Article(BaseModel):
    """One citable unit in full, as stored (verbatim)."""

    doc_id: str
    title: str
    no: str
    label: str
    chapter: list[str]
    text: str
    domain: Domain
    unit: Unit
    version: str
    amended: date | None
    effective: date | None
    partial: bool
    access_level: AccessLevel
    source_path: str
    deleted: bool = False
    is_current: bool = True


@dataclass
class View:
    generation: int
    documents: list[DocumentRecord]
    chunks: dict[str, Chunk]
    lexical: LexicalIndex | None
    current_versions: dict[str, str]  # doc_id -> version considered current
    titles: list[str] = field(default_factory=list)


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


class KnowledgeBase:
    def __init__(self, registry: Registry, store: VectorStore, embedder: Embedder, tokenizer: Tokenizer,
                 lexical_dir: Path):
        self.registry = registry
        self.store = store
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.lexical_dir = lexical_dir
        self._lock = threading.Lock()
        self._view: View | None = None

    # --- view management -----------------------------------------------------------------------
    def view(self) -> View:
        gen = self.registry.generation()
        v = self._view
        if v is not None and v.generation == gen:
            return v
        with self._lock:
            if self._view is not None and self._view.generation == gen:
                return self._view
            docs = self.registry.documents()
            chunks = {c.chunk_id: c for c in self.registry.chunks()}
            snap = self.registry.get_state("lexical_snapshot")
            lexical = LexicalIndex.load(self.lexical_dir, snap, self.tokenizer) if snap else None
            self._view = View(gen, docs, chunks, lexical, current_versions(docs),
                              sorted({d.title for d in docs}))
            return self._view

    def is_empty(self) -> bool:
        return not self.view().documents

    def documents(self) -> list[DocumentRecord]:
        return self.view().documents

    def titles(self) -> list[str]:
        return self.view().titles

    # --- articles ------------------------------------------------------------------------------
    def _doc_for(self, title: str, as_of: date | None) -> DocumentRecord | None:
        v = self.view()
        cands = [d for d in v.documents if d.title == title]
        if not cands:
            return None
        versions = current_versions(cands, as_of)
        if not versions:
            return None
        ver = next(iter(versions.values()))
        return next(d for d in cands if d.version == ver)

    def get_article(self, title: str, no: str, as_of: date | None = None,
                    allowed: set[AccessLevel] | None = None) -> Article | None:
        doc = self._doc_for(title, as_of)
        if doc is None or (allowed is not None and doc.access_level not in allowed):
            return None
        for s in self.registry.sections(doc.source_path):
            if s.no == no:
                return self._article(doc, s.no, s.label, s.chapter, s.text, s.deleted)
        return None

    def articles_of(self, title: str, as_of: date | None = None,
                    allowed: set[AccessLevel] | None = None) -> list[Article]:
        doc = self._doc_for(title, as_of)
        if doc is None or (allowed is not None and doc.access_level not in allowed):
            return []
        return [self._article(doc, s.no, s.label, s.chapter, s.text, s.deleted)
                for s in self.registry.sections(doc.source_path)]

    def _article(self, doc: DocumentRecord, no: str, label: str, chapter: list[str], text: str,
                 deleted: bool) -> Article:
        cur = self.view().current_versions.get(doc.doc_id) == doc.version
        return Article(doc_id=doc.doc_id, title=doc.title, no=no, label=label, chapter=chapter, text=text,
                       domain=doc.domain, unit=doc.unit, version=doc.version, amended=doc.amended,
                       effective=doc.effective, partial=doc.partial, access_level=doc.access_level,
                       source_path=doc.source_path, deleted=deleted, is_current=cur)

    def versions_of(self, title: str) -> list[DocumentRecord]:
        return [d for d in self.view().documents if d.title == title]
