"""Per-file source metadata kept beside the file, and the registry key of a document.

A sidecar ``<folder>/.mishu-meta/<file name>.json`` carries what a file of any format cannot say itself:
its ``access_level`` and ``domain`` (an upload's form fields, edited later in the admin page), plus who
put it there and when. The folder starts with a dot, so discovery never ingests it; the sidecar's bytes
are part of the file's fingerprint, so an edited sidecar re-ingests the file.

Applying a sidecar: its ``domain`` replaces the one the file gave or the loader inferred; its
``access_level`` can only make the file stricter (a Markdown file that says ``secret`` stays secret).

Registry key of a document: the file path, or ``<file>#<doc_id>`` for files holding several documents.
Doc ids are letters, digits, CJK, "_" and "-" only (``DOC_ID_RE``), and a file path always ends with a
suffix holding a ".", so the key splits back at its last "#" without ambiguity, even for file or folder
names that contain "#".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from core.access import AccessLevel
from core.vocab import Domain

SIDECAR_DIR = ".mishu-meta"
DOC_ID_RE = re.compile(r"[0-9A-Za-z\u3400-\u9fff_-]{1,120}")
_STRICTNESS = {AccessLevel.public: 0, AccessLevel.restricted: 1, AccessLevel.secret: 2}


class SourceMeta(BaseModel):
    """What the sidecar of one source file says."""

    access_level: AccessLevel = AccessLevel.restricted
    domain: Domain | None = None
    domain_inferred: bool = False  # True: the upload inferred it (no form field); shown as such
    uploaded_by: str | None = None
    uploaded_at: datetime | None = None


class SidecarError(ValueError):
    """A sidecar that cannot be read; ``reason`` is zh-TW."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.reason = reason


def sidecar_path(path: Path) -> Path:
    return path.parent / SIDECAR_DIR / f"{path.name}.json"


def read_sidecar(path: Path) -> SourceMeta | None:
    """The sidecar of ``path``, or None when it has none. Raises SidecarError when it is damaged."""
    sp = sidecar_path(path)
    try:
        raw = sp.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise SidecarError(sp, f"無法讀取文件設定檔：{e.strerror or e}") from e
    try:
        return SourceMeta.model_validate_json(raw)
    except ValidationError as e:
        raise SidecarError(sp, "文件設定檔（access_level／domain）格式不正確") from e


def write_sidecar(path: Path, meta: SourceMeta) -> Path:
    """Write the sidecar atomically (temporary file, fsync, rename); mode 0600."""
    sp = sidecar_path(path)
    sp.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = sp.parent / f".{secrets.token_hex(6)}.tmp"
    data = json.dumps(meta.model_dump(mode="json"), ensure_ascii=False, indent=1).encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(sp)
    return sp


def remove_sidecar(path: Path) -> None:
    sidecar_path(path).unlink(missing_ok=True)


def fingerprint(path: Path, file_hash: str) -> str:
    """The file's hash, folded with its sidecar's bytes when it has one (an edit re-ingests the file)."""
    try:
        side = sidecar_path(path).read_bytes()
    except OSError:
        return file_hash
    return hashlib.sha256(file_hash.encode("ascii") + b"\0" + side).hexdigest()


def stricter(a: AccessLevel, b: AccessLevel) -> AccessLevel:
    return a if _STRICTNESS[a] >= _STRICTNESS[b] else b


def source_key(path: Path | str, doc_id: str, multi: bool) -> str:
    """Registry key: the file path, or ``<file>#<doc_id>`` for one of several documents in a file."""
    return f"{path}#{doc_id}" if multi else str(path)


def file_of_key(key: str) -> str:
    """The file of a registry key (inverse of ``source_key``; file names may contain "#")."""
    head, sep, tail = key.rpartition("#")
    if sep and head and DOC_ID_RE.fullmatch(tail):
        return head
    return key
