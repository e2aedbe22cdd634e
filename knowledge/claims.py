"""Which file holds each document identity, so one source cannot replace or shadow another's documents.

Three claims, checked for every parsed document before it is written:
- ``(doc_id, version)`` belongs to one file;
- a ``doc_id`` belongs to one source root: a file in another root (an upload, an extra source folder)
  cannot add a newer version of, say, 政府採購法 and become the current text for everyone;
- a ``title`` belongs to one ``doc_id`` across roots: another document cannot take the title of an
  existing one and make title look-ups ambiguous.
A file always keeps the claims of the documents it already holds (re-ingesting or replacing it is fine),
and within one root versions of a document may live in different files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ingest.models import SourceDocument
from ingest.sources import file_of_key
from knowledge.registry import DocumentRecord


@dataclass(frozen=True)
class Holder:
    root: str | None
    file: str
    doc_id: str


@dataclass
class Claims:
    versions: dict[tuple[str, str], str] = field(default_factory=dict)  # (doc_id, version) -> file
    ids: dict[str, Holder] = field(default_factory=dict)
    titles: dict[str, Holder] = field(default_factory=dict)

    @classmethod
    def of(cls, records: Iterable[DocumentRecord]) -> Claims:
        claims = cls()
        for d in records:
            claims.take(d.doc_id, d.version, d.title, d.root, file_of_key(d.source_path))
        return claims

    def take(self, doc_id: str, version: str, title: str, root: str | None, file: str) -> None:
        holder = Holder(root, file, doc_id)
        self.versions.setdefault((doc_id, version), file)
        self.ids.setdefault(doc_id, holder)
        self.titles.setdefault(title, holder)

    def conflict(self, doc: SourceDocument, root: str | None, file: str) -> str | None:
        """The zh-TW reason ``doc`` (from ``file`` under ``root``) may not be written, or None."""
        owner = self.versions.get((doc.doc_id, doc.version))
        if owner is not None and owner != file:
            return f"文件 {doc.doc_id}（版本 {doc.version}）已由 {owner} 提供"
        held = self.ids.get(doc.doc_id)
        if held is not None and held.file != file and held.root != root:
            return (
                f"文件代號 {doc.doc_id} 已由既有文件（{held.file}）使用；"
                "不能以其他來源的檔案取代或冒用既有文件，請改用其他 doc_id"
            )
        named = self.titles.get(doc.title)
        if named is not None and named.doc_id != doc.doc_id and named.file != file and named.root != root:
            return (
                f"文件名稱「{doc.title}」已由既有文件（{named.file}）使用；"
                "不能以其他來源的檔案冒用既有文件的名稱，請改用其他標題"
            )
        return None
