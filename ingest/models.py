"""Typed contracts between the ingest steps.

load (file -> LoadedDocument) -> parse (LoadedDocument -> SourceDocument with Sections)
-> chunk (SourceDocument -> list[Chunk]) -> index (knowledge/).
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from pydantic import BaseModel, Field

from core.access import AccessLevel
from core.vocab import Domain, Unit


class IngestError(Exception):
    """A source file that cannot be ingested; ``reason`` is zh-TW and shown to the user."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class LoadedDocument(BaseModel):
    """What a loader returns: the text of one source plus whatever metadata the file carried.

    Either ``sections`` is already set (structured sources such as law JSON) or ``text`` holds the
    plain text that the structure parser will split.
    """

    path: str
    fmt: str  # "law-json" | "pdf" | "docx" | "md" | "txt" | "html"
    text: str = ""
    title: str | None = None
    doc_id: str | None = None
    domain: Domain | None = None
    unit: Unit | None = None
    amended: date | None = None
    effective: date | None = None
    sections: list[Section] | None = None
    meta: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


class Section(BaseModel):
    """One citable unit (an article, a point, or a headed section) as parsed from a source document;
    knowledge.base.Article is the same unit as stored, with its document's version and access facts."""

    no: str  # citation key: "22", "22-1", "5", or a heading path "貳/三"
    label: str  # display form: "第22條之1", "第5點", "貳、預防管理對策 > 三、..."
    chapter: list[str] = Field(default_factory=list)  # 編/章/節 path, outermost first
    text: str
    deleted: bool = False


class SourceDocument(BaseModel):
    doc_id: str  # stable across versions, e.g. "procurement-act"
    title: str  # exact title_zh (citation key title)
    domain: Domain
    unit: Unit
    source_path: str
    fmt: str
    amended: date | None = None
    effective: date | None = None
    version: str  # amended date ISO, or "h:<hash12>" when undated
    access_level: AccessLevel = AccessLevel.public
    partial: bool = False
    sample: bool = False  # 範例: written as an example, not an official text
    note: str | None = None  # completeness / provenance note (zh or en)
    hidden_chars: int = 0  # characters of text nobody sees (hidden, white, tiny ...) left out by the loader
    hidden_note: str | None = None  # the zh-TW note saying so (also part of ``note``), for the uploader
    url: str | None = None
    content_hash: str
    sections: list[Section]


class Chunk(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    domain: Domain
    unit: Unit
    no: str
    label: str
    chapter: str  # " > ".join(chapter path)
    text: str  # the chunk body (verbatim slice of the article text)
    part: int = 0  # 0 = whole article, 1.. = n-th piece of a long article
    parts: int = 1
    paragraphs: str | None = None  # e.g. "1-2" (項 range) when split
    amended: date | None = None
    effective: date | None = None
    source_file: str
    content_hash: str  # hash of the whole source document
    version: str
    n_tokens: int
    access_level: AccessLevel = AccessLevel.public
    partial: bool = False
    sample: bool = False

    @property
    def version_key(self) -> str:
        return f"{self.doc_id}@{self.version}"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


LoadedDocument.model_rebuild()
