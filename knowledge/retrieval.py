"""Hybrid retrieval: exact article look-up + dense (Chroma) + lexical (BM25), fused by reciprocal rank.

Steps for a query:
1. normalise (full-width -> half-width, Simplified -> Traditional);
2. resolve the law titles it names (aliases such as 採購法, 細則, 檔案法§17) and article references;
   a reference that names (or implies) a law is an exact look-up and ranks first;
3. dense and lexical candidate lists over chunks, restricted to the versions in force (or in force on
   ``as_of``) and to the caller's access levels; chunks are aggregated to articles (best rank);
4. reciprocal-rank fusion, then an optional re-ranking stage (named-law match, coverage of the
   query's content words in the article) whose benefit is measured by ``mishu eval retrieval``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from pydantic import BaseModel

from core.access import AccessLevel
from core.refs import parse_article_ref
from core.text import normalize_query
from core.vocab import CONTENT_TOKEN
from ingest.models import Chunk
from knowledge.base import KnowledgeBase, View
from knowledge.lexicon import ALIASES, abbreviation_of, question_bigrams, resolve_titles
from knowledge.thesaurus import correct_typos, expand


class SearchHit(BaseModel):
    title: str
    no: str
    label: str
    score: float
    text: str
    doc_id: str
    amended: str | None
    version: str
    domain: str
    chapter: str
    chunk_id: str | None = None
    partial: bool = False
    matched: list[str] = []


@dataclass
class RetrievalConfig:
    k: int = 10
    rrf_k: int = 60
    dense: bool = True
    lexical: bool = True
    rerank: bool = True
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    candidates: int = 80
    title_boost: float = 0.02
    coverage_boost: float = 0.04
    exact_boost: float = 1.0
    expand: bool = True
    statute_boost: float = 0.005
    partial_penalty: float = 0.01
    sample_penalty: float = 0.01
    bigram_coverage: float = 0.01
    expand_dense: bool = True
    # phrase tables switched off (knowledge.thesaurus.TABLES: typos, synonyms, aliases) -- for ablation
    tables_off: tuple[str, ...] = ()


@dataclass
class _Cand:
    key: tuple[str, str, str]  # (doc_id, version, no)
    chunk: Chunk
    score: float = 0.0
    matched: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Scope:
    """Which chunks a search may return: the version in force per document, access levels, domain."""

    versions: dict[str, str]  # doc_id -> version
    allowed: set[AccessLevel] | None
    domain: str | None

    def visible(self, c: Chunk) -> bool:
        return (self.versions.get(c.doc_id) == c.version
                and (self.allowed is None or c.access_level in self.allowed)
                and (self.domain is None or c.domain.value == self.domain))


class _Pool:
    """Candidate articles of one search with their fused scores (chunks aggregate to their article)."""

    def __init__(self, view: View, scope: _Scope, rrf_k: int) -> None:
        self.view = view
        self.scope = scope
        self.rrf_k = rrf_k
        self.cands: dict[tuple[str, str, str], _Cand] = {}

    def _cand(self, c: Chunk) -> _Cand:
        key = (c.doc_id, c.version, c.no)
        return self.cands.setdefault(key, _Cand(key, c))

    def add_ranked(self, ranked: list[str], weight: float, tag: str) -> None:
        """Reciprocal-rank fusion of one channel's best-first chunk ids, ranked per visible article."""
        seen: set[tuple[str, str, str]] = set()
        rank = 0
        for cid in ranked:
            c = self.view.chunks.get(cid)
            if c is None or not self.scope.visible(c):
                continue
            key = (c.doc_id, c.version, c.no)
            if key in seen:
                continue
            seen.add(key)
            rank += 1
            cand = self._cand(c)
            cand.score += weight / (self.rrf_k + rank)
            cand.matched.append(tag)

    def add_exact(self, exact: list[tuple[str, str]], boost: float) -> None:
        """The articles a query references exactly ((title, no), in order), above every fused score."""
        by_article: dict[tuple[str, str], list[Chunk]] = {}
        wanted = set(exact)
        for c in self.view.chunks.values() if wanted else ():
            if (c.title, c.no) in wanted and self.scope.visible(c):
                by_article.setdefault((c.title, c.no), []).append(c)
        for i, (title, no) in enumerate(exact):
            chunks = by_article.get((title, no))
            if not chunks:
                continue
            cand = self._cand(min(chunks, key=lambda x: x.part))
            cand.score += boost - i * 0.01
            cand.matched.append("exact")




def is_statute(title: str) -> bool:
    """法律 by name (中央法規標準法第2條: 法、律、條例、通則), as opposed to 命令 (第3條: 規程、規則、
    細則、辦法、綱要、標準、準則) and administrative rules (要點、範本...). When a statute and its
    implementing rules both match, the statute is the primary authority."""
    return title.endswith(("法", "律", "條例", "通則")) and not title.endswith("辦法")


CONTEXT_WEIGHT = 0.8
QUERY_VECTOR_CACHE = 2048  # query texts whose vectors are kept (a query vector depends on the text only)


class HybridRetriever:
    def __init__(self, kb: KnowledgeBase, config: RetrievalConfig | None = None,
                 expanders: Sequence[Callable[[str], str]] = ()):
        """``expanders`` add statutory terms implied by a query (e.g. an amount -> its tier name);
        they are injected by the composition root so knowledge/ does not depend on assistant/."""
        self.kb = kb
        self.config = config or RetrievalConfig()
        self.expanders = list(expanders)
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._vectors_lock = threading.Lock()

    def _query_vector(self, text: str) -> np.ndarray:
        """The embedder's vector of a query, from a bounded LRU cache (repeated questions are common)."""
        with self._vectors_lock:
            vec = self._vectors.get(text)
            if vec is not None:
                self._vectors.move_to_end(text)
                return vec
        vec = self.kb.embedder.embed_query(text)
        with self._vectors_lock:
            self._vectors[text] = vec
            while len(self._vectors) > QUERY_VECTOR_CACHE:
                self._vectors.popitem(last=False)
        return vec

    def search(self, query: str, k: int | None = None, *, as_of: date | None = None,
               allowed: set[AccessLevel] | None = None, domain: str | None = None,
               context_titles: list[str] | None = None, context: str | None = None) -> list[SearchHit]:
        """Ranked articles for ``query``. ``context`` (key terms of earlier turns of a conversation) is
        used for an elliptical follow-up: the question is searched alone and together with the context,
        and the two rankings are fused with the question alone weighted higher — so 「要收費嗎？」 after a
        question about 檔案閱覽 finds the fee standard, while a follow-up that names its own topic
        (「押標金最多可以收多少」) is not pulled back to the previous one."""
        k = k or self.config.k

        def once(text: str, n: int) -> list[SearchHit]:
            return self._search_once(text, n, as_of=as_of, allowed=allowed, domain=domain,
                                     context_titles=context_titles)

        if not context or not context.strip():
            return once(query, k)
        pool = max(k, 20)
        alone = once(query, pool)
        with_ctx = once(f"{query} {context}", pool)
        fused: dict[tuple[str, str], tuple[float, SearchHit]] = {}
        for weight, hits in ((1.0, alone), (CONTEXT_WEIGHT, with_ctx)):
            for rank, h in enumerate(hits, 1):
                score, hit = fused.get((h.title, h.no), (0.0, h))
                fused[(h.title, h.no)] = (score + weight / (self.config.rrf_k + rank), hit)
        ranked = sorted(fused.values(), key=lambda x: -x[0])[:k]
        return [h.model_copy(update={"score": round(sc, 6)}) for sc, h in ranked]

    def _search_once(self, query: str, k: int, *, as_of: date | None = None,
                     allowed: set[AccessLevel] | None = None, domain: str | None = None,
                     context_titles: list[str] | None = None) -> list[SearchHit]:
        """One ranking: candidates from the dense and lexical channels and the exact references, fused,
        then re-ranked (module docstring, steps 1-4)."""
        cfg = self.config
        q = normalize_query(query)
        if not q:
            raise ValueError("查詢內容是空的")
        view = self.kb.view()
        if not view.chunks:
            return []
        if "typos" not in cfg.tables_off:
            q = correct_typos(q, self.kb.vocabulary(allowed))
        aliases = {} if "aliases" in cfg.tables_off else ALIASES
        # among the versions the caller may see (F-23)
        pool = _Pool(view, _Scope(self.kb.current_for(allowed, as_of), allowed, domain), cfg.rrf_k)
        self._add_retrieved(pool, q)

        titles = self.kb.titles(allowed)  # a hidden title must not steer the exact references
        named = [t for t, _, _ in resolve_titles(q, titles, aliases)]
        exact = self._exact_refs(q, named, context_titles or [], titles, aliases)
        pool.add_exact(exact, cfg.exact_boost)

        if cfg.rerank and pool.cands:
            self._rerank(q, named, pool.cands)
        ranked = sorted(pool.cands.values(), key=lambda x: -x.score)[:k]
        return [self._hit(c) for c in ranked]

    def _add_retrieved(self, pool: _Pool, q: str) -> None:
        """The dense and lexical candidate lists (over the query with its expansions), fused into ``pool``."""
        cfg = self.config
        synonyms = expand(q) if "synonyms" not in cfg.tables_off else ""
        extra = " ".join([synonyms, *(f(q) for f in self.expanders)]).strip() if cfg.expand else ""
        q_lex = f"{q} {extra}".strip()
        if cfg.dense:
            vec = self._query_vector(q_lex if cfg.expand_dense else q)
            dense = self.kb.dense_query(pool.view, vec, cfg.candidates * 2)
            pool.add_ranked([cid for cid, _ in dense], cfg.dense_weight, "dense")
        lexical = self.kb.lexical_for(pool.scope.allowed) if cfg.lexical else None  # caller's documents only
        if lexical is not None:
            lex = lexical.search(q_lex, cfg.candidates * 2)
            pool.add_ranked([cid for cid, _ in lex], cfg.lexical_weight, "lexical")

    # --- stages ----------------------------------------------------------------------------------
    def _exact_refs(self, q: str, named: list[str], context: list[str], titles: list[str],
                    aliases: Mapping[str, str] = ALIASES) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for ref in parse_article_ref(q):
            law = getattr(ref, "law", None)
            law_titles = [t for t, _, _ in resolve_titles(law, titles, aliases)] if law else []
            if law and not law_titles:
                law_titles = abbreviation_of(law, titles)
            if not law_titles:
                # the law named closest before the reference, else the conversation's law
                before = [t for t, s, _ in resolve_titles(q[: ref.span[0]], titles, aliases)]
                law_titles = before[-1:] or named[:1] or context[:1]
            for t in law_titles:
                if (t, ref.no) not in out:
                    out.append((t, ref.no))
        return out

    def _rerank(self, q: str, named: list[str], cands: dict[tuple[str, str, str], _Cand]) -> None:
        cfg = self.config
        terms = {t for t in self.kb.tokenizer(q) if not t.startswith("#") and CONTENT_TOKEN.match(t)}
        named_set = set(named)
        grams = question_bigrams(q) if cfg.bigram_coverage else []
        for cand in cands.values():
            c = cand.chunk
            if named_set and c.title in named_set:
                cand.score += cfg.title_boost
            if is_statute(c.title):
                cand.score += cfg.statute_boost
            if c.partial:
                # excerpts and lossy extracts rank below authoritative full texts
                cand.score -= cfg.partial_penalty
            elif c.sample:
                # a 範例 document is an example, not a rule: below the laws unless clearly about it
                cand.score -= cfg.sample_penalty
            hay = f"{c.title}{c.label}{c.text}"
            if terms:
                cand.score += cfg.coverage_boost * sum(1 for t in terms if t in hay) / len(terms)
            if cfg.bigram_coverage and grams:
                cand.score += cfg.bigram_coverage * sum(1 for g in grams if g in hay) / len(grams)

    @staticmethod
    def _hit(c: _Cand) -> SearchHit:
        ch = c.chunk
        return SearchHit(title=ch.title, no=ch.no, label=ch.label, score=round(c.score, 6), text=ch.text,
                         doc_id=ch.doc_id, amended=ch.amended.isoformat() if ch.amended else None,
                         version=ch.version, domain=ch.domain.value, chapter=ch.chapter, chunk_id=ch.chunk_id,
                         partial=ch.partial, matched=sorted(set(c.matched)))
