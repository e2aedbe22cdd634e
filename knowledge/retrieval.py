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

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel

from ingest.models import AccessLevel, Chunk
from ingest.zh import normalize_query
from knowledge.base import KnowledgeBase, current_versions
from knowledge.lexicon import abbreviation_of, question_bigrams, resolve_titles
from knowledge.thesaurus import expand


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


@dataclass
class _Cand:
    key: tuple[str, str, str]  # (doc_id, version, no)
    chunk: Chunk
    score: float = 0.0
    matched: list[str] = field(default_factory=list)


_CONTENT_TOKEN = re.compile(r"^[\u3400-\u9fffA-Za-z0-9]{2,}$")


def is_statute(title: str) -> bool:
    """法律 by name (中央法規標準法第2條: 法、律、條例、通則), as opposed to 命令 (第3條: 規程、規則、
    細則、辦法、綱要、標準、準則) and administrative rules (要點、範本...). When a statute and its
    implementing rules both match, the statute is the primary authority."""
    return title.endswith(("法", "律", "條例", "通則")) and not title.endswith("辦法")


CONTEXT_WEIGHT = 0.8


class HybridRetriever:
    def __init__(self, kb: KnowledgeBase, config: RetrievalConfig | None = None,
                 expanders: Sequence[Callable[[str], str]] = ()):
        """``expanders`` add statutory terms implied by a query (e.g. an amount -> its tier name);
        they are injected by the composition root so knowledge/ does not depend on assistant/."""
        self.kb = kb
        self.config = config or RetrievalConfig()
        self.expanders = list(expanders)

    def search(self, query: str, k: int | None = None, *, as_of: date | None = None,
               allowed: set[AccessLevel] | None = None, domain: str | None = None,
               context_titles: list[str] | None = None, context: str | None = None) -> list[SearchHit]:
        """Ranked articles for ``query``. ``context`` (key terms of earlier turns of a conversation) is
        used for an elliptical follow-up: the question is searched alone and together with the context,
        and the two rankings are fused with the question alone weighted higher — so 「要收費嗎？」 after a
        question about 檔案閱覽 finds the fee standard, while a follow-up that names its own topic
        (「押標金最多可以收多少」) is not pulled back to the previous one."""
        k = k or self.config.k
        kw = {"as_of": as_of, "allowed": allowed, "domain": domain, "context_titles": context_titles}
        if not context or not context.strip():
            return self._search_once(query, k, **kw)  # type: ignore[arg-type]
        pool = max(k, 20)
        alone = self._search_once(query, pool, **kw)  # type: ignore[arg-type]
        with_ctx = self._search_once(f"{query} {context}", pool, **kw)  # type: ignore[arg-type]
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
        cfg = self.config
        q = normalize_query(query)
        if not q:
            raise ValueError("查詢內容是空的")
        view = self.kb.view()
        if not view.chunks:
            return []
        versions = view.current_versions if as_of is None else current_versions(view.documents, as_of)

        def visible(c: Chunk) -> bool:
            return (versions.get(c.doc_id) == c.version
                    and (allowed is None or c.access_level in allowed)
                    and (domain is None or c.domain.value == domain))

        cands: dict[tuple[str, str, str], _Cand] = {}

        def add_ranked(ranked: list[str], weight: float, tag: str) -> None:
            seen: set[tuple[str, str, str]] = set()
            rank = 0
            for cid in ranked:
                c = view.chunks.get(cid)
                if c is None or not visible(c):
                    continue
                key = (c.doc_id, c.version, c.no)
                if key in seen:
                    continue
                seen.add(key)
                rank += 1
                cand = cands.setdefault(key, _Cand(key, c))
                cand.score += weight / (cfg.rrf_k + rank)
                cand.matched.append(tag)

        extra = " ".join([expand(q), *(f(q) for f in self.expanders)]).strip() if cfg.expand else ""
        q_lex = f"{q} {extra}".strip()
        if cfg.dense:
            vec = self.kb.embedder.embed_query(q_lex if cfg.expand_dense else q)
            dense = self.kb.store.query(vec, cfg.candidates * 2)
            add_ranked([cid for cid, _ in dense], cfg.dense_weight, "dense")
        if cfg.lexical and view.lexical is not None:
            lex = view.lexical.search(q_lex, cfg.candidates * 2)
            add_ranked([cid for cid, _ in lex], cfg.lexical_weight, "lexical")

        named = [t for t, _, _ in resolve_titles(q, view.titles)]
        # exact references
        exact = self._exact_refs(q, named, context_titles or [], view.titles)
        by_article: dict[tuple[str, str], list[Chunk]] = {}
        for c in view.chunks.values():
            if visible(c):
                by_article.setdefault((c.title, c.no), []).append(c)
        for i, (title, no) in enumerate(exact):
            chunks = by_article.get((title, no))
            if not chunks:
                continue
            c = min(chunks, key=lambda x: x.part)
            key = (c.doc_id, c.version, c.no)
            cand = cands.setdefault(key, _Cand(key, c))
            cand.score += cfg.exact_boost - i * 0.01
            cand.matched.append("exact")

        if cfg.rerank and cands:
            self._rerank(q, named, cands)

        ranked = sorted(cands.values(), key=lambda x: -x.score)[:k]
        return [self._hit(c) for c in ranked]

    # --- stages ----------------------------------------------------------------------------------
    def _exact_refs(self, q: str, named: list[str], context: list[str], titles: list[str]) -> list[tuple[str, str]]:
        from ingest.structure import parse_article_ref

        out: list[tuple[str, str]] = []
        for ref in parse_article_ref(q):
            law = getattr(ref, "law", None)
            law_titles = [t for t, _, _ in resolve_titles(law, titles)] if law else []
            if law and not law_titles:
                law_titles = abbreviation_of(law, titles)
            if not law_titles:
                # the law named closest before the reference, else the conversation's law
                before = [t for t, s, _ in resolve_titles(q[: ref.span[0]], titles)]
                law_titles = before[-1:] or named[:1] or context[:1]
            for t in law_titles:
                if (t, ref.no) not in out:
                    out.append((t, ref.no))
        return out

    def _rerank(self, q: str, named: list[str], cands: dict[tuple[str, str, str], _Cand]) -> None:
        cfg = self.config
        terms = {t for t in self.kb.tokenizer(q) if not t.startswith("#") and _CONTENT_TOKEN.match(t)}
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
