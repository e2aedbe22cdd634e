"""Storage failures told apart from bugs: a full disk, and a read-only (or not writable) data directory.

Either one gets a clear zh-TW message that says nothing was written and what was there stays, instead of a
stack trace or a bare 500. SQLite reports them through its result codes (``SQLITE_FULL``,
``SQLITE_READONLY``), the file system through ``errno``; wrappers (SQLAlchemy's ``orig``, ``raise ... from``)
are looked through.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
_SQLITE_READONLY, _SQLITE_FULL = 8, 13  # primary result codes (the low byte of an extended code)

FULL_MSG = "磁碟空間不足，這次的資料沒有寫入（先前的資料與索引維持不變）；請通知系統管理者清出空間後再試"
READ_ONLY_MSG = "資料目錄無法寫入（唯讀或沒有寫入權限），這次的資料沒有寫入（先前的資料與索引維持不變）；請通知系統管理者"


@dataclass(frozen=True)
class StorageProblem:
    kind: Literal["full", "read_only"]
    message: str  # zh-TW, for people


FULL = StorageProblem("full", FULL_MSG)
READ_ONLY = StorageProblem("read_only", READ_ONLY_MSG)


def storage_problem(exc: BaseException) -> StorageProblem | None:
    """The storage failure behind ``exc`` (or anything it wraps), or None when it is something else."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        found = _classify(e)
        if found is not None:
            return found
        orig = getattr(e, "orig", None)  # SQLAlchemy's DBAPIError
        todo += [orig if isinstance(orig, BaseException) else None, e.__cause__, e.__context__]
    return None


def _classify(e: BaseException) -> StorageProblem | None:
    if isinstance(e, OSError) and e.errno is not None:
        if e.errno in FULL_ERRNOS:
            return FULL
        if e.errno in READ_ONLY_ERRNOS:
            return READ_ONLY
    if isinstance(e, sqlite3.Error):
        code = getattr(e, "sqlite_errorcode", None)
        if isinstance(code, int):
            if code & 0xFF == _SQLITE_FULL:
                return FULL
            if code & 0xFF == _SQLITE_READONLY:
                return READ_ONLY
        text = str(e).lower()
        if "disk is full" in text:
            return FULL
        if "readonly database" in text or "read-only" in text:
            return READ_ONLY
    if type(e).__name__ == "DiskFull":  # psycopg.errors.DiskFull (PostgreSQL's own disk)
        return FULL
    return None


def check_writable(folder: Path) -> StorageProblem | None:
    """Create (and remove) a probe file in ``folder``; the problem when that fails for lack of space or of
    write access. Root ignores permission bits, so this tries a write rather than ``os.access``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-probe-{uuid.uuid4().hex}"
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            probe.unlink(missing_ok=True)
    except OSError as e:
        return _classify(e)
    return None
