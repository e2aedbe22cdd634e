"""Search, article view and the document list — filtered by the caller's access level."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from ingest.sources import file_of_key
from knowledge.retrieval import SearchHit
from mishu.api.audit import citation_keys, note
from mishu.api.deps import KnowledgeDep, RegulationsRole, RetrieverDep, access_of
from mishu.api.errors import invalid, not_found
from mishu.api.schemas import ArticleOut, DocumentOut, ErrorOut

router = APIRouter(prefix="/v1", tags=["knowledge"])
_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorOut}, 404: {"model": ErrorOut},
                                            422: {"model": ErrorOut}}


@router.get("/search", response_model=list[SearchHit], responses=_ERRORS,
            summary="檢索條文（與 `mishu search --json` 相同的清單）")
def search(request: Request, retriever: RetrieverDep, caller: RegulationsRole,
           q: Annotated[str, Query(min_length=1, max_length=2000, description="查詢", examples=["押標金 上限"])],
           k: Annotated[int, Query(ge=1, le=100)] = 10,
           as_of: Annotated[date | None, Query(description="依該日有效版本")] = None,
           domain: Annotated[str | None, Query(description="procurement、archives、emergency…")] = None,
           ) -> list[SearchHit]:
    try:
        hits = retriever.search(q, k, as_of=as_of, allowed=access_of(caller), domain=domain)
    except ValueError as exc:
        raise invalid(str(exc), [{"field": "query.q", "message": str(exc)}]) from None
    note(request).citations = citation_keys([h.model_dump(mode="json") for h in hits], with_score=True)
    return hits


def document_out(d: Any, current: dict[str, str]) -> DocumentOut:
    return DocumentOut(title=d.title, doc_id=d.doc_id, version=d.version, amended=d.amended, effective=d.effective,
                       domain=str(d.domain), unit=str(d.unit), access_level=d.access_level, partial=d.partial, sample=d.sample,
                       fmt=d.fmt, file=Path(file_of_key(d.source_path)).name, n_sections=d.n_sections,
                       n_chunks=d.n_chunks, indexed_at=d.indexed_at, is_current=current.get(d.doc_id) == d.version,
                       note=d.note, url=d.url)


@router.get("/documents", response_model=list[DocumentOut], responses=_ERRORS,
            summary="知識庫文件與版本（僅列出呼叫者可見者）")
def documents(kb: KnowledgeDep, caller: RegulationsRole) -> list[DocumentOut]:
    allowed = access_of(caller)
    view = kb.view()
    docs = [d for d in view.documents if d.access_level in allowed]
    docs.sort(key=lambda d: (str(d.domain), d.title, str(d.amended or "")))
    return [document_out(d, kb.current_for(allowed)) for d in docs]


@router.get("/articles/{title}/{no:path}", response_model=ArticleOut, responses=_ERRORS,
            summary="條文全文與版本（例：/v1/articles/政府採購法/22-1）")
def article(request: Request, title: str, no: str, kb: KnowledgeDep, caller: RegulationsRole,
            as_of: Annotated[date | None, Query(description="依該日有效版本")] = None) -> ArticleOut:
    allowed = access_of(caller)
    a = kb.get_article(title, no, as_of=as_of, allowed=allowed)
    if a is None:  # same answer for "absent" and "not for you": existence is not revealed
        raise not_found(f"找不到 {title} 第 {no} 條（或該版本）")
    note(request).citations = [{"title": a.title, "no": a.no}]
    current = kb.current_for(allowed)
    versions = [document_out(d, current) for d in kb.versions_of(title) if d.access_level in allowed]
    versions.sort(key=lambda v: str(v.amended or ""), reverse=True)
    return ArticleOut(doc_id=a.doc_id, title=a.title, no=a.no, label=a.label, chapter=a.chapter, text=a.text,
                      domain=str(a.domain), unit=str(a.unit), version=a.version, amended=a.amended,
                      effective=a.effective, partial=a.partial, access_level=a.access_level, deleted=a.deleted,
                      is_current=a.is_current, versions=versions)
