"""One place for how every SQLite file of mishu is opened: WAL, a busy timeout, and the sync level.

- WAL: readers never block the writer and never see its uncommitted rows; one writer at a time.
- ``busy_timeout``: a writer that finds the file locked waits (up to ``BUSY_TIMEOUT_MS``) instead of
  failing at once with "database is locked".
- ``synchronous``: ``FULL`` (the default) fsyncs the WAL at every commit, so a commit that returned survives
  a power loss, not only a process crash: the registry (the index pointer), consultations, feedback and
  ingest jobs use it. ``NORMAL`` (WAL: no fsync at commit, only at checkpoints) survives a process crash
  (kill -9) but a power loss may drop the last commits, never corrupting the file. It is used for the
  two high-volume logs whose rows are written after the answer and are not promised to anyone: the audit
  log (written after the response is sent) and conversation turns (chat context); each commit there would
  otherwise cost an fsync per request (about 14 ms on this machine, serialised by the write lock).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

BUSY_TIMEOUT_MS = 30_000
SYNCHRONOUS = "FULL"
SYNC_LEVELS = ("FULL", "NORMAL")


def tune(conn: Any, *, read_only: bool = False, synchronous: str = SYNCHRONOUS) -> None:
    """Apply the pragmas to a DB-API sqlite3 connection (raw or SQLAlchemy's ``dbapi_connection``)."""
    if synchronous not in SYNC_LEVELS:
        raise ValueError(f"synchronous must be one of {SYNC_LEVELS}")
    cur = conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
    finally:
        cur.close()


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A tuned autocommit connection (``isolation_level=None``: transactions are explicit)."""
    if read_only:
        from urllib.parse import quote

        conn = sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
            isolation_level=None,
        )
    else:
        conn = sqlite3.connect(
            str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
        )
    tune(conn, read_only=read_only)
    return conn


def fsync_tree(path: Path) -> None:
    """fsync every file under ``path``, then the folders (so a rename or new file survives a power loss).

    Only for files this process has just written and nobody has open (a new snapshot folder). Opening and
    closing a file releases every POSIX lock the process holds on it (fcntl locks belong to the process and
    the inode, not to the descriptor), so pointed at a folder that holds a live SQLite file (``index/``:
    the registry, Chroma) it silently drops this process's SQLite locks: another process's connection then
    believes it is alone, checkpoints and deletes the WAL or truncates the ``-shm`` under this one, whose
    next commits go to an unlinked WAL (lost at a kill -9) or die of SIGBUS (issue 10).
    """
    dirs = [path] if path.is_dir() else []
    for p in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if p.is_dir():
            dirs.append(p)
            continue
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for d in [*dirs, path.parent]:
        fsync_dir(d)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
