"""Source loaders: one file -> list[LoadedDocument] (law/excerpt JSON, PDF, DOCX, Markdown, TXT, HTML).

    load_path(path, *, max_bytes) -> list[LoadedDocument]   # raises IngestError(path, reason_zh)
    SUPPORTED_SUFFIXES

Every loader fills what the file itself says (title, dates, front matter); ``load_path`` then adds the
domain (parent folder, else keywords) and doc_id (front matter / JSON id, else a slug of the file stem)
when missing. Structure (articles, points, sections) is parsed later by ``ingest.structure``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.access import AccessLevel
from ingest.loaders._common import decode_text, doc_id_for, infer_domain, read_checked, split_front_matter
from ingest.loaders.json_sources import load_json
from ingest.loaders.pdf import load_pdf, strip_headers_footers
from ingest.loaders.text import load_html, load_markdown, load_txt
from ingest.loaders.word import load_docx
from ingest.models import IngestError, LoadedDocument
from ingest.sources import SidecarError, SourceMeta, read_sidecar, stricter

__all__ = [
    "SUPPORTED_SUFFIXES", "load_path", "decode_text", "infer_domain", "split_front_matter",
    "strip_headers_footers",
]


def _one(fn: Callable[[Path, bytes], LoadedDocument]) -> Callable[[Path, bytes], list[LoadedDocument]]:
    return lambda path, data: [fn(path, data)]


_LOADERS: dict[str, Callable[[Path, bytes], list[LoadedDocument]]] = {
    ".json": load_json,
    ".pdf": _one(load_pdf),
    ".docx": _one(load_docx),
    ".md": _one(load_markdown),
    ".markdown": _one(load_markdown),
    ".txt": _one(load_txt),
    ".html": _one(load_html),
    ".htm": _one(load_html),
}

SUPPORTED_SUFFIXES: set[str] = set(_LOADERS)


def load_path(path: Path, *, max_bytes: int) -> list[LoadedDocument]:
    """Load one source file. Raises IngestError with a zh-TW reason for anything unusable."""
    path = Path(path)
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        supported = "、".join(sorted(SUPPORTED_SUFFIXES))
        raise IngestError(path, f"不支援的檔案類型「{suffix or '（無副檔名）'}」（支援：{supported}）")
    data = read_checked(path, max_bytes)
    if not data.strip():
        raise IngestError(path, "檔案是空的（只有空白）")
    docs = loader(path, data)
    try:
        side = read_sidecar(path)
    except SidecarError as e:
        raise IngestError(path, e.reason) from e
    for doc in docs:
        if side is not None:
            apply_sidecar(doc, side)
        if doc.doc_id is None:
            doc.doc_id = doc_id_for(path)
        if doc.domain is None:
            doc.domain = infer_domain(path, (doc.title or "") + "\n" + doc.text)
    return docs


def apply_sidecar(doc: LoadedDocument, side: SourceMeta) -> None:
    """The sidecar's domain replaces the file's; its access level can only make the file stricter."""
    if side.domain is not None:
        doc.domain = side.domain
    own = str(doc.meta.get("access_level") or AccessLevel.public.value).strip().lower()
    if own in AccessLevel.__members__:
        doc.meta["access_level"] = stricter(AccessLevel(own), side.access_level).value
    # an invalid value in the file itself is reported by parse_structure
