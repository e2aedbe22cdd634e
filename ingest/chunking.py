"""Chunking by structure: one chunk per article; long articles split at 項/款 line boundaries.

A chunk body is always a verbatim slice of the article text made of whole lines (項 or 款), so a
chunk never cuts a sentence. Only a single line longer than the budget is split further, and then at
sentence-final punctuation (。；), never inside a sentence.
"""

from __future__ import annotations

import hashlib
import re

from core.citation import article_lines
from ingest.models import Chunk, SourceDocument
from ingest.tokens import count_tokens

_SENTENCE_END = re.compile(r"(?<=[。；！？])")


def _split_long_line(line: str, max_tokens: int) -> list[str]:
    sentences = [s for s in _SENTENCE_END.split(line) if s]
    pieces: list[str] = []
    cur = ""
    for s in sentences:
        if cur and count_tokens(cur + s) > max_tokens:
            pieces.append(cur)
            cur = s
        else:
            cur += s
    if cur:
        pieces.append(cur)
    return pieces


def _paragraph_numbers(lines: list[str]) -> list[int]:
    """項 number of each (non-blank) line: a line that is not a 款/目 item starts a new 項."""
    return [ln.paragraph for ln in article_lines("\n".join(lines))]


def chunk_document(doc: SourceDocument, max_tokens: int = 600) -> list[Chunk]:
    """Split ``doc`` into chunks. Deleted sections produce no chunk."""
    chunks: list[Chunk] = []
    gen = doc.content_hash[:12]
    for section in doc.sections:
        if section.deleted or not section.text.strip():
            continue
        lines = [ln for ln in section.text.split("\n") if ln.strip()]
        paras = _paragraph_numbers(lines)
        groups: list[tuple[str, int, int]] = []  # (text, first para, last para)
        if count_tokens(section.text) <= max_tokens:
            groups.append(("\n".join(lines), paras[0] if paras else 1, paras[-1] if paras else 1))
        else:
            cur: list[str] = []
            cur_paras: list[int] = []
            for line, p in zip(lines, paras, strict=True):
                pieces = _split_long_line(line, max_tokens) if count_tokens(line) > max_tokens else [line]
                for piece in pieces:
                    candidate = "\n".join([*cur, piece])
                    if cur and count_tokens(candidate) > max_tokens:
                        groups.append(("\n".join(cur), cur_paras[0], cur_paras[-1]))
                        cur, cur_paras = [], []
                    cur.append(piece)
                    cur_paras.append(p)
            if cur:
                groups.append(("\n".join(cur), cur_paras[0], cur_paras[-1]))
        for i, (text, p0, p1) in enumerate(groups):
            ident = f"{doc.doc_id}@{doc.version}#{section.no}.{i}~{gen}"
            chunk_id = hashlib.sha1(ident.encode()).hexdigest()[:20]
            chunks.append(
                Chunk(
                    chunk_id=chunk_id,
                    doc_id=doc.doc_id,
                    title=doc.title,
                    domain=doc.domain,
                    unit=doc.unit,
                    no=section.no,
                    label=section.label,
                    chapter=" > ".join(section.chapter),
                    text=text,
                    part=i if len(groups) > 1 else 0,
                    parts=len(groups),
                    paragraphs=(f"{p0}-{p1}" if p0 != p1 else str(p0)) if len(groups) > 1 else None,
                    amended=doc.amended,
                    effective=doc.effective,
                    source_file=doc.source_path,
                    content_hash=doc.content_hash,
                    version=doc.version,
                    n_tokens=count_tokens(text),
                    access_level=doc.access_level,
                    partial=doc.partial,
                    sample=doc.sample,
                )
            )
    return chunks


def embedding_text(chunk: Chunk) -> str:
    """What the dense model sees: the article in its context (law title, chapter, label)."""
    head = " ".join(x for x in (chunk.title, chunk.chapter, chunk.label) if x)
    return f"{head}\n{chunk.text}"
