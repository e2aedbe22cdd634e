"""`mishu backup` / `mishu restore` for the embedded default: one .tar.gz of the data dir's state.

What is in the archive (when it is local to the data dir):
- ``records.sqlite3`` (records, consultations, conversations) and ``audit.sqlite3`` (audit log, feedback,
  ingest jobs): copied with SQLite's online backup API, so each is one consistent state even while the
  service writes;
- the index: ``index/registry.sqlite3`` (online backup), the lexical snapshot it points at, and the embedded
  Chroma folder, copied while holding the ingest lock (no re-index can write meanwhile);
- ``uploads/`` (files and their access-level sidecars), ``users.json`` and ``api-key-secret``.
``manifest.json`` lists every file with its sha256; restore checks them all before it touches anything.

A PostgreSQL records/audit database (``MISHU_RECORDS_URL`` / ``MISHU_AUDIT_URL``) is backed up with its own
tools (``pg_dump -Fc`` / ``pg_restore``), and a Chroma server (``MISHU_CHROMA_HOST``) by copying the server's
``--path`` folder while it is stopped; the archive then says it left them out. The archive holds the
accounts file and secrets: it is written with mode 0600.
Restore replaces those items in the data dir (the previous ones are moved to ``.pre-restore-<time>/``);
stop the service first.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from knowledge.indexer import lock_path
from mishu.settings import Settings

FORMAT = "mishu-backup-1"
SMALL_FILES = ("users.json", "api-key-secret")


class BackupError(RuntimeError):
    """Shown to the user (zh-TW)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sqlite_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _local_sqlite(url: str, data_dir: Path) -> Path | None:
    """The file of a SQLite URL inside the data dir, else None (PostgreSQL, elsewhere)."""
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///")).resolve()
    return path if path.exists() and path.is_relative_to(data_dir.resolve()) else None


@contextmanager
def _ingest_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with lock_path(index_dir).open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise BackupError("索引作業正在執行，請等它完成後再備份或還原") from e
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _stage_index(s: Settings, stage: Path, skipped: list[str]) -> None:
    reg = s.registry_path
    if not reg.exists():
        skipped.append("index（尚未建立索引）")
        return
    _sqlite_copy(reg, stage / "index" / reg.name)
    with sqlite3.connect(stage / "index" / reg.name) as conn:
        row = conn.execute("SELECT value FROM state WHERE key='lexical_snapshot'").fetchone()
    if row and (s.index_dir / row[0]).is_dir():
        shutil.copytree(s.index_dir / row[0], stage / "index" / row[0])
    if s.chroma_host:
        skipped.append("Chroma 伺服器（請停機後複製伺服器的 --path 資料夾）")
    elif s.chroma_dir.is_dir():
        shutil.copytree(s.chroma_dir, stage / "index" / s.chroma_dir.name)


def _stage(s: Settings, stage: Path) -> list[str]:
    """Copy everything into ``stage``; returns what was left out and why (zh-TW)."""
    data = s.data_dir
    skipped: list[str] = []
    for name, url in (("records.sqlite3", s.records_db_url), ("audit.sqlite3", s.audit_db_url)):
        src = _local_sqlite(url, data)
        if src is None:
            skipped.append(f"{name}（資料庫不在資料目錄；PostgreSQL 請用 pg_dump -Fc 備份）")
        else:
            _sqlite_copy(src, stage / name)
    with _ingest_lock(s.index_dir):
        _stage_index(s, stage, skipped)
    if (data / "uploads").is_dir():
        shutil.copytree(data / "uploads", stage / "uploads")
    for name in SMALL_FILES:
        if (data / name).is_file():
            shutil.copy2(data / name, stage / name)
    return skipped


def backup(s: Settings, out: Path) -> dict[str, Any]:
    """Write the archive ``out`` (.tar.gz); returns its manifest."""
    if not s.data_dir.is_dir():
        raise BackupError(f"資料目錄不存在：{s.data_dir}")
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=s.data_dir) as tmp:
        stage = Path(tmp)
        skipped = _stage(s, stage)
        files = {str(p.relative_to(stage)): _sha256(p) for p in sorted(stage.rglob("*")) if p.is_file()}
        manifest = {
            "format": FORMAT,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "data_dir": str(s.data_dir),
            "files": files,
            "skipped": skipped,
        }
        (stage / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for p in sorted(stage.iterdir()):
                tar.add(p, arcname=p.name)
            raw.flush()
        _fsync(part)
        part.replace(out)
    return manifest


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _extract_checked(archive: Path, dest: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(dest, filter="data")
    try:
        manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise BackupError("備份檔缺少或無法讀取 manifest.json") from e
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不支援的備份格式：{manifest.get('format')}")
    for rel, digest in manifest["files"].items():
        p = dest / rel
        if not p.is_file() or _sha256(p) != digest:
            raise BackupError(f"備份檔內容與 manifest 不符：{rel}")
    return manifest


def restore(s: Settings, archive: Path) -> dict[str, Any]:
    """Replace the data dir's items with the archive's; the old ones go to ``.pre-restore-<time>/``."""
    if not archive.is_file():
        raise BackupError(f"找不到備份檔：{archive}")
    data = s.data_dir
    data.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=data) as tmp, _ingest_lock(s.index_dir):
        stage = Path(tmp)
        try:
            manifest = _extract_checked(archive, stage)
        except (tarfile.TarError, EOFError) as e:
            raise BackupError(f"備份檔損毀或不是 tar.gz：{e}") from e
        aside = data / f".pre-restore-{time.strftime('%Y%m%d-%H%M%S')}"
        for item in sorted(p for p in stage.iterdir() if p.name != "manifest.json"):
            _replace(data, item, aside)
    return manifest


def _replace(data: Path, item: Path, aside: Path) -> None:
    """Move ``data/<item>`` (and a SQLite file's -wal/-shm) aside, then the restored item into place."""
    if item.name == "index":
        targets = [data / "index" / p.name for p in item.iterdir()]
        targets += [p for p in (data / "index").glob("lexical-*") if p.name not in {t.name for t in targets}]
    else:
        targets = [data / item.name]
    for t in targets:
        for extra in (t, t.with_name(t.name + "-wal"), t.with_name(t.name + "-shm")):
            if extra.exists():
                dest = aside / extra.relative_to(data)
                dest.parent.mkdir(parents=True, exist_ok=True)
                extra.replace(dest)
    if item.name == "index":
        (data / "index").mkdir(exist_ok=True)
        for p in item.iterdir():
            p.replace(data / "index" / p.name)
    else:
        item.replace(data / item.name)
