"""Uploaded source files and their metadata: one service for the API, the admin page and the CLI.

``save`` is all or nothing and validates everything before it writes anything:
1. names (base name only, NFC, no control or shell-special characters), allowed suffixes, size, emptiness,
   duplicates within one upload;
2. a different file under an existing name needs ``replace=True``;
3. each file is loaded and parsed in the sandboxed child (``ingest.sandbox``) from a staging folder outside
   ``uploads/``: a file that cannot be parsed, or whose domain cannot be inferred when none was given, is
   refused with its zh-TW reason; a document that would take the doc_id or title of a document from
   another source (a shipped law, say) is refused (``knowledge.claims``);
4. only then each file and its sidecar (``ingest.sources``: access level, domain, uploader, time) are moved
   into place, the sidecar first, so the file is never visible without its access level.
The caller starts the re-index (the API as a background job, the CLI in the foreground).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from core.access import AccessLevel
from core.vocab import Domain
from ingest.models import IngestError, SourceDocument
from ingest.sandbox import ParseLimits, SandboxedParser
from ingest.sources import SidecarError, SourceMeta, read_sidecar, sidecar_path, write_sidecar
from ingest.structure import DOMAIN_UNKNOWN
from knowledge.claims import Claims
from knowledge.registry import Registry

STAGING_GRACE_S = 3600.0  # a staging folder older than this belongs to no running save
UPLOAD_SUFFIXES = (".pdf", ".docx", ".md", ".markdown", ".txt", ".html", ".htm")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
DOMAIN_CHOICES_ZH = (
    "procurement（採購）、archives（檔案／公文）、emergency（消防／防災）、template（範本）、plan（計畫）"
)

UploadErrorKind = Literal[
    "invalid",
    "unsupported",
    "too_large",
    "exists",
    "domain_required",
    "unparsable",
    "document_conflict",
    "not_found",
]


class UploadError(Exception):
    """A refused upload or edit; ``message`` is zh-TW, ``kind`` is stable (the API maps it to a status)."""

    def __init__(self, kind: UploadErrorKind, message: str, name: str | None = None, fld: str = "files"):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.name = name
        self.field = fld


@dataclass(frozen=True)
class Incoming:
    name: str  # as the client sent it
    data: bytes


@dataclass
class SaveResult:
    saved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # per saved file: text left out (nobody sees it), zh-TW


@dataclass(frozen=True)
class UploadedSource:
    name: str
    size: int
    meta: SourceMeta | None  # None: uploaded before sidecars existed (the file's own metadata applies)


@dataclass
class _Staged:
    name: str
    data: bytes
    meta: SourceMeta = field(default_factory=SourceMeta)
    unchanged: bool = False
    docs: list[SourceDocument] = field(default_factory=list)


def safe_name(name: str | None) -> str:
    """The file's own name (no folders), NFC, without control or shell-special characters."""
    base = unicodedata.normalize("NFC", Path((name or "").replace("\\", "/")).name).strip()
    base = _UNSAFE.sub("_", base).lstrip(".")
    suffix = Path(base).suffix
    stem = base[: len(base) - len(suffix)]
    if not stem.strip("_ "):
        raise UploadError("invalid", "檔名無效")
    return stem[:120] + suffix.lower()


class UploadService:
    def __init__(self, folder: Path, registry: Registry, limits: ParseLimits) -> None:
        self.folder = Path(folder)
        self.registry = registry
        self.limits = limits

    @property
    def staging_root(self) -> Path:
        return self.folder.parent / ".uploads-staging"  # outside uploads/: a running ingest never sees it

    def ingest_paths(self, sources: list[Path]) -> list[Path]:
        """The configured sources plus the uploads folder (when it exists), after ``mark_unmarked``."""
        paths = [Path(p) for p in sources]
        if self.folder.is_dir() and self.folder not in paths:
            self.mark_unmarked()
            paths.append(self.folder)
        return paths

    def mark_unmarked(self) -> list[str]:
        """Give every file in uploads/ without a sidecar (uploaded before sidecars existed, or copied in by
        hand) a restricted one: the uploads folder fails closed, as the upload form does."""
        marked = []
        for src in self.list():
            if src.meta is None and not sidecar_path(self.folder / src.name).exists():
                write_sidecar(self.folder / src.name, SourceMeta(access_level=AccessLevel.restricted))
                marked.append(src.name)
        return marked

    # --- save --------------------------------------------------------------------------------------
    def save(
        self,
        files: list[Incoming],
        *,
        access_level: AccessLevel | None = None,
        domain: Domain | None = None,
        replace: bool = False,
        uploaded_by: str | None = None,
    ) -> SaveResult:
        staged = self._check_files(files)
        self._check_existing(staged, replace, access_level, domain)
        for s in staged:
            s.meta = self._meta_for(s.name, access_level, domain, uploaded_by)
        self.sweep_staging()
        work = self.staging_root / secrets.token_hex(8)
        work.mkdir(mode=0o700, parents=True)
        try:
            self._parse_all(staged, work)
            return self._commit(staged, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def sweep_staging(self, older_than_s: float = STAGING_GRACE_S) -> list[str]:
        """Remove staging folders left by a save that was killed (kill -9, power loss) before its clean-up;
        a folder younger than ``older_than_s`` may belong to a save running now and is kept."""
        if not self.staging_root.is_dir():
            return []
        cutoff = time.time() - older_than_s
        gone = []
        for d in self.staging_root.iterdir():
            if d.is_dir() and d.stat().st_mtime < cutoff:
                shutil.rmtree(d, ignore_errors=True)
                gone.append(d.name)
        return gone

    def _meta_for(
        self, name: str, access_level: AccessLevel | None, domain: Domain | None, uploaded_by: str | None
    ) -> SourceMeta:
        """The form's fields; for a file replacing an upload, what it lacks comes from the old sidecar."""
        target = self.folder / name
        old = self._meta_or_none(target) if target.exists() else None
        return SourceMeta(
            access_level=access_level or (old.access_level if old else AccessLevel.restricted),
            domain=domain or (old.domain if old and not old.domain_inferred else None),
            uploaded_by=uploaded_by,
            uploaded_at=datetime.now(UTC),
        )

    def _check_files(self, files: list[Incoming]) -> list[_Staged]:
        if not files:
            raise UploadError("invalid", "沒有上傳任何檔案")
        staged: list[_Staged] = []
        for f in files:
            name = safe_name(f.name)
            if not name.lower().endswith(UPLOAD_SUFFIXES):
                raise UploadError(
                    "unsupported", f"不支援的檔案類型：{name}（可用：{'、'.join(UPLOAD_SUFFIXES)}）", name
                )
            if len(f.data) > self.limits.max_bytes:
                raise UploadError(
                    "too_large", f"{name} 超過上限 {self.limits.max_bytes / 1024 / 1024:.0f} MB", name
                )
            if not f.data.strip():
                raise UploadError("invalid", f"{name} 是空檔案", name)
            if any(s.name == name for s in staged):
                raise UploadError("invalid", f"同一次上傳中有重複檔名：{name}", name)
            staged.append(_Staged(name, f.data))
        return staged

    def _check_existing(
        self, staged: list[_Staged], replace: bool, access_level: AccessLevel | None, domain: Domain | None
    ) -> None:
        for s in staged:
            target = self.folder / s.name
            if not target.exists():
                continue
            if hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(s.data).digest():
                s.unchanged = (access_level is None and domain is None) or self._same_meta(
                    target, access_level, domain
                )
                continue
            if not replace:
                raise UploadError(
                    "exists", f"已有同名但內容不同的檔案：{s.name}；若要覆蓋請設定 replace=true", s.name
                )

    @staticmethod
    def _same_meta(target: Path, access_level: AccessLevel | None, domain: Domain | None) -> bool:
        try:
            meta = read_sidecar(target)
        except SidecarError:
            return False
        if meta is None:
            return False
        return (access_level is None or meta.access_level == access_level) and (
            domain is None or meta.domain == domain
        )

    def _parse_all(self, staged: list[_Staged], work: Path) -> None:
        claims = Claims.of(self.registry.documents())
        root = str(self.folder.resolve())
        with SandboxedParser(self.limits) as parser:
            for s in staged:
                if s.unchanged:
                    continue
                path = work / s.name
                path.write_bytes(s.data)
                write_sidecar(path, s.meta)
                try:
                    s.docs = parser.parse(path)
                except IngestError as e:
                    raise self._parse_refusal(s.name, e.reason, s.meta.domain is None) from e
                for doc in s.docs:
                    reason = claims.conflict(doc, root, str((self.folder / s.name).resolve()))
                    if reason:
                        raise UploadError("document_conflict", f"{s.name}：{reason}", s.name)

    @staticmethod
    def _parse_refusal(name: str, reason: str, domain_missing: bool) -> UploadError:
        if domain_missing and reason == DOMAIN_UNKNOWN:
            return UploadError(
                "domain_required",
                f"無法判斷「{name}」的文件類別，請在上傳時指定 domain：{DOMAIN_CHOICES_ZH}",
                name,
                fld="domain",
            )
        return UploadError("unparsable", f"{name} 無法匯入：{reason}", name)

    def _commit(self, staged: list[_Staged], work: Path) -> SaveResult:
        result = SaveResult()
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for s in staged:
            if s.unchanged:
                result.unchanged.append(s.name)
                continue
            target = self.folder / s.name
            own = s.meta
            if own.domain is None and s.docs:
                own = own.model_copy(update={"domain": s.docs[0].domain, "domain_inferred": True})
            write_sidecar(target, own)
            (work / s.name).replace(target)
            result.saved.append(s.name)
            result.notes.extend(f"{s.name}：{d.hidden_note}" for d in s.docs if d.hidden_note)
        return result

    @staticmethod
    def _meta_or_none(target: Path) -> SourceMeta | None:
        try:
            return read_sidecar(target)
        except SidecarError:
            return None

    # --- list and edit -----------------------------------------------------------------------------
    def list(self) -> list[UploadedSource]:
        if not self.folder.is_dir():
            return []
        out = []
        for p in sorted(self.folder.iterdir()):
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in UPLOAD_SUFFIXES:
                out.append(UploadedSource(p.name, p.stat().st_size, self._meta_or_none(p)))
        return out

    def update(
        self, name: str, *, access_level: AccessLevel | None = None, domain: Domain | None = None
    ) -> UploadedSource:
        """Change an uploaded file's access level and/or domain (takes effect at the next re-index)."""
        target = self.folder / safe_name(name)
        if not target.is_file():
            raise UploadError("not_found", f"找不到上傳的檔案：{name}", name)
        meta = self._meta_or_none(target) or SourceMeta()
        changes: dict[str, object] = {}
        if access_level is not None:
            changes["access_level"] = access_level
        if domain is not None:
            changes["domain"], changes["domain_inferred"] = domain, False
        write_sidecar(target, meta.model_copy(update=changes))
        return UploadedSource(target.name, target.stat().st_size, read_sidecar(target))
