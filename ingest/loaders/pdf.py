"""PDF loader (pypdf): text per page, running headers/footers and page numbers removed, text nobody sees on
the page (white, invisible, transparent, tiny, off the page) dropped and counted (``pdf_hidden``)."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.text import to_halfwidth
from ingest.loaders.pdf_hidden import HiddenText, visible_content
from ingest.models import IngestError, LoadedDocument
from ingest.structure import classify_line

_PAGE_NO_RE = re.compile(
    r"^[-–—\s]*(?:第\s*\d+\s*頁\s*(?:[,，/／、]?\s*共\s*\d+\s*頁)?|共\s*\d+\s*頁\s*[,，]?\s*第\s*\d+\s*頁"
    r"|\d+\s*/\s*\d+|\d+|page\s*\d+(?:\s*of\s*\d+)?|-\s*\d+\s*-)[-–—\s]*$",
    re.I,
)
_JUNK_TITLE = re.compile(r"^(?:untitled|無標題|未命名|document\d*)$|\.(?:docx?|pdf|odt|txt)$|^microsoft word", re.I)
_EDGE = 2  # lines at the top and at the bottom of a page considered for headers/footers


def _visible_text(page: Any, reader: Any, hidden: HiddenText) -> str:
    """The page's text without the text nobody sees on it (``ingest.loaders.pdf_hidden``); what was dropped
    is counted in ``hidden``. A broken page gives "" (one broken page should not lose the others)."""
    from pypdf import PageObject
    from pypdf.generic import NameObject

    try:
        full = page.extract_text() or ""
    except Exception:
        return ""
    try:
        stream = visible_content(page, reader, hidden)
        if stream is None:
            return full
        shown = PageObject(reader)
        shown.update(page)
        shown[NameObject("/Contents")] = stream
        text = shown.extract_text() or ""
    except Exception:  # a content stream pypdf extracts from but we cannot walk: the text as extracted
        return full
    hidden.chars += max(0, _ink(full) - _ink(text))
    return text


def _ink(text: str) -> int:
    return len(re.sub(r"\s+", "", text))


def _page_texts(path: Path, data: bytes, hidden: HiddenText) -> tuple[list[str], str | None]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise IngestError(path, f"無法讀取：PDF 檔案損毀或格式不正確（{type(e).__name__}）") from e
    except Exception as e:  # pypdf raises assorted errors on garbage input
        raise IngestError(path, f"無法讀取：PDF 檔案損毀或格式不正確（{type(e).__name__}）") from e
    if reader.is_encrypted:
        try:
            ok = bool(reader.decrypt(""))
        except (DependencyError, NotImplementedError, FileNotDecryptedError, PdfReadError):
            ok = False
        if not ok:
            raise IngestError(path, "無法讀取：PDF 已加密，請提供未加密（可開啟、可複製文字）的檔案")
    try:
        pages = list(reader.pages)
    except Exception as e:
        raise IngestError(path, f"無法讀取：PDF 檔案損毀或格式不正確（{type(e).__name__}）") from e
    if not pages:
        raise IngestError(path, "無法讀取：PDF 沒有任何頁面")
    texts = [_visible_text(page, reader, hidden) for page in pages]
    title = None
    try:
        if reader.metadata is not None and reader.metadata.title:
            title = str(reader.metadata.title).strip() or None
    except Exception:
        title = None
    return texts, title


def _norm_edge(line: str) -> str:
    return re.sub(r"\d+", "#", to_halfwidth(line).strip())


def _is_structure(line: str) -> bool:
    """Article/chapter/point markers are never running headers, even when every page starts with one."""
    mk = classify_line(line)
    return mk is not None and mk.kind in ("article", "part", "point", "ord", "dotted", "md")


def strip_headers_footers(pages: list[list[str]]) -> list[list[str]]:
    """Remove page-number lines at page edges and lines repeating at the edges of most pages."""
    n = len(pages)
    counts: Counter[str] = Counter()
    for lines in pages:
        edge = {_norm_edge(ln) for ln in lines[:_EDGE] + lines[-_EDGE:] if ln.strip() and not _is_structure(ln)}
        counts.update(edge)
    repeated = {k for k, c in counts.items() if n >= 3 and c >= max(3, 0.6 * n)} if n >= 3 else set()
    if n == 2:
        repeated = {k for k, c in counts.items() if c == 2 and len(k) <= 40}
    out = []
    for lines in pages:
        keep = []
        last = len(lines) - 1
        for i, ln in enumerate(lines):
            at_edge = i < _EDGE or i > last - _EDGE
            s = ln.strip()
            if at_edge and s and (_norm_edge(s) in repeated or (n >= 2 and _PAGE_NO_RE.match(to_halfwidth(s)))):
                continue
            keep.append(ln)
        out.append(keep)
    return out


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs warnings for every malformed object; the loader reports one clear reason instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def load_pdf(path: Path, data: bytes) -> LoadedDocument:
    hidden = HiddenText()
    with _quiet_pypdf():
        texts, title = _page_texts(path, data, hidden)
    pages = [t.replace("\r\n", "\n").replace("\r", "\n").split("\n") for t in texts]
    pages = strip_headers_footers(pages)
    text = "\n".join("\n".join(lines).strip("\n") for lines in pages if any(ln.strip() for ln in lines))
    visible = re.sub(r"\s+", "", text)
    if len(visible) < 20 or len(visible) < 5 * len(pages):
        raise IngestError(path, "無法讀取：PDF 沒有可擷取的文字，可能是掃描影像，需要先 OCR")
    meta: dict[str, str | int | float | bool | None] = {"pages": len(pages)}
    if hidden.kinds:
        meta["hidden_chars"], meta["hidden_kinds"] = hidden.chars, hidden.zh()
    if title and not _JUNK_TITLE.search(title):
        meta["meta_title"] = title  # used only when the text itself has no title line
    return LoadedDocument(path=str(path), fmt="pdf", text=text, meta=meta)
