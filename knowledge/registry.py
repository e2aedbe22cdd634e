"""Document registry: the single source of truth of what is indexed.

SQLite (WAL, ``knowledge.sqlite_files``) holds, per source file: its document metadata and version, the full sections
(articles) for exact look-up, the chunks, and an embedding cache keyed by text hash. A re-index
commits all of a run's changes in ONE transaction together with the pointer to the new lexical
snapshot, so readers see either the old state or the new one. Vectors in Chroma that the registry
does not list are invisible to readers (they are filtered out) and are garbage-collected.

Connections: the writer (ingest, the embedding cache) has its own connection, serialised by a lock; every
reading thread has a connection of its own. With WAL a reader therefore never sees a write that is not
committed, and ``snapshot()`` runs several reads in one read transaction, so they all see the same commit.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from core.access import AccessLevel
from core.vocab import Domain, Unit
from ingest.models import Chunk, Section, SourceDocument
from knowledge import sqlite_files

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
  source_path TEXT PRIMARY KEY,
  root TEXT,
  file_hash TEXT NOT NULL,
  file_size INTEGER,
  doc_id TEXT NOT NULL,
  version TEXT NOT NULL,
  title TEXT NOT NULL,
  domain TEXT NOT NULL,
  unit TEXT NOT NULL,
  fmt TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  amended TEXT,
  effective TEXT,
  access_level TEXT NOT NULL,
  partial INTEGER NOT NULL,
  note TEXT,
  url TEXT,
  n_sections INTEGER,
  n_chunks INTEGER,
  indexed_at REAL,
  sample INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sections (
  source_path TEXT NOT NULL,
  ord INTEGER NOT NULL,
  no TEXT NOT NULL,
  label TEXT NOT NULL,
  chapter TEXT NOT NULL,
  text TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  PRIMARY KEY (source_path, ord)
);
CREATE TABLE IF NOT EXISTS chunks (
  chunk_id TEXT PRIMARY KEY,
  source_path TEXT NOT NULL,
  ord INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source_path);
CREATE TABLE IF NOT EXISTS embed_cache (
  text_hash TEXT NOT NULL,
  model TEXT NOT NULL,
  vec BLOB NOT NULL,
  PRIMARY KEY (text_hash, model)
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  started REAL, finished REAL, report TEXT
);
"""


@dataclass(frozen=True)
class DocumentRecord:
    source_path: str
    root: str | None
    file_hash: str
    doc_id: str
    version: str
    title: str
    domain: Domain
    unit: Unit
    fmt: str
    content_hash: str
    amended: date | None
    effective: date | None
    access_level: AccessLevel
    partial: bool
    note: str | None
    url: str | None
    n_sections: int
    n_chunks: int
    indexed_at: float
    sample: bool = False


@dataclass
class DocumentWrite:
    """Everything one changed source contributes to a commit."""

    doc: SourceDocument
    root: str | None
    file_hash: str
    file_size: int
    chunks: list[Chunk]


def _d(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


class Registry:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.RLock()
        self._writer = sqlite_files.connect(self.path)
        self._writer.executescript(_SCHEMA)
        cols = {r[1] for r in self._writer.execute("PRAGMA table_info(documents)")}
        if "sample" not in cols:  # registries written before the 範例 flag existed
            self._writer.execute("ALTER TABLE documents ADD COLUMN sample INTEGER NOT NULL DEFAULT 0")
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    @property
    def _conn(self) -> sqlite3.Connection:
        """This thread's read-only connection (committed data only)."""
        c: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if c is None:
            c = sqlite_files.connect(self.path)
            c.execute("PRAGMA query_only=ON")
            self._local.conn = c
            with self._readers_lock:
                self._readers.append(c)
        return c

    def close(self) -> None:
        with self._readers_lock:
            for c in self._readers:
                c.close()
            self._readers.clear()
        self._local = threading.local()
        self._writer.close()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read of this thread inside the block sees the same committed state (one read transaction)."""
        if getattr(self._local, "in_snapshot", False):
            yield
            return
        c = self._conn
        c.execute("BEGIN")
        self._local.in_snapshot = True
        try:
            yield
        finally:
            self._local.in_snapshot = False
            c.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The writer's connection inside ``BEGIN IMMEDIATE``; one writer of this process at a time."""
        with self._write_lock:
            c = self._writer
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            else:
                c.execute("COMMIT")

    # --- state ---------------------------------------------------------------------------------
    def get_state(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM state WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def generation(self) -> int:
        return int(self.get_state("generation") or 0)

    # --- documents -----------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        rows = self._conn.execute(
            "SELECT source_path, root, file_hash, doc_id, version, title, domain, unit, fmt, content_hash,"
            " amended, effective, access_level, partial, note, url, n_sections, n_chunks, indexed_at, sample"
            " FROM documents ORDER BY domain, title, version").fetchall()
        return [DocumentRecord(r[0], r[1], r[2], r[3], r[4], r[5], Domain(r[6]), Unit(r[7]), r[8], r[9],
                               _d(r[10]), _d(r[11]), AccessLevel(r[12]), bool(r[13]), r[14], r[15], r[16] or 0,
                               r[17] or 0, r[18] or 0.0, bool(r[19])) for r in rows]

    def file_hashes(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT source_path, file_hash FROM documents").fetchall())

    def sections(self, source_path: str) -> list[Section]:
        rows = self._conn.execute(
            "SELECT no, label, chapter, text, deleted FROM sections WHERE source_path=? ORDER BY ord",
            (source_path,)).fetchall()
        return [Section(no=r[0], label=r[1], chapter=json.loads(r[2]), text=r[3], deleted=bool(r[4]))
                for r in rows]

    def all_sections(self) -> dict[str, list[Section]]:
        """source_path -> its sections in order (one query, for a whole view)."""
        out: dict[str, list[Section]] = {}
        rows = self._conn.execute("SELECT source_path, no, label, chapter, text, deleted FROM sections"
                                  " ORDER BY source_path, ord")
        for r in rows:
            out.setdefault(r[0], []).append(Section(no=r[1], label=r[2], chapter=json.loads(r[3]), text=r[4],
                                                    deleted=bool(r[5])))
        return out

    def chunks(self) -> list[Chunk]:
        rows = self._conn.execute("SELECT data FROM chunks ORDER BY source_path, ord").fetchall()
        return [Chunk.model_validate_json(r[0]) for r in rows]

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT chunk_id FROM chunks")}

    def chunk_ids_of(self, source_path: str) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT chunk_id FROM chunks WHERE source_path=?",
                                                 (source_path,))]

    # --- the atomic commit ---------------------------------------------------------------------
    def commit_run(self, writes: Iterable[DocumentWrite], removed: Iterable[str],
                   lexical_snapshot: str | None, report: dict[str, object],
                   pipeline_version: str | None = None) -> None:
        now = time.time()
        with self.transaction() as c:
            for path in removed:
                self._delete_source(c, path)
            for w in writes:
                d = w.doc
                self._delete_source(c, d.source_path)
                c.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (d.source_path, w.root, w.file_hash, w.file_size, d.doc_id, d.version, d.title,
                     d.domain.value, d.unit.value, d.fmt, d.content_hash,
                     d.amended.isoformat() if d.amended else None,
                     d.effective.isoformat() if d.effective else None, d.access_level.value, int(d.partial),
                     d.note, d.url, len(d.sections), len(w.chunks), now, int(d.sample)))
                c.executemany(
                    "INSERT INTO sections VALUES (?,?,?,?,?,?,?)",
                    [(d.source_path, i, s.no, s.label, json.dumps(s.chapter, ensure_ascii=False), s.text,
                      int(s.deleted)) for i, s in enumerate(d.sections)])
                c.executemany("INSERT INTO chunks VALUES (?,?,?,?)",
                              [(ch.chunk_id, d.source_path, i, ch.model_dump_json())
                               for i, ch in enumerate(w.chunks)])
            if lexical_snapshot is not None:
                c.execute("INSERT OR REPLACE INTO state VALUES ('lexical_snapshot', ?)", (lexical_snapshot,))
            if pipeline_version is not None:
                c.execute("INSERT OR REPLACE INTO state VALUES ('pipeline_version', ?)", (pipeline_version,))
            row = c.execute("SELECT value FROM state WHERE key='generation'").fetchone()
            c.execute("INSERT OR REPLACE INTO state VALUES ('generation', ?)", (str(int(row[0] if row else 0) + 1),))
            c.execute("INSERT INTO runs (started, finished, report) VALUES (?,?,?)",
                      (report.get("started", now), now, json.dumps(report, ensure_ascii=False, default=str)))

    @staticmethod
    def _delete_source(c: sqlite3.Connection, path: str) -> None:
        c.execute("DELETE FROM documents WHERE source_path=?", (path,))
        c.execute("DELETE FROM sections WHERE source_path=?", (path,))
        c.execute("DELETE FROM chunks WHERE source_path=?", (path,))

    def last_run(self) -> dict[str, object] | None:
        row = self._conn.execute("SELECT report FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None

    # --- embedding cache -----------------------------------------------------------------------
    def cached_vectors(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i:i + 500]
            q = f"SELECT text_hash, vec FROM embed_cache WHERE model=? AND text_hash IN ({','.join('?' * len(part))})"
            for h, blob in self._conn.execute(q, (model, *part)):
                out[h] = np.frombuffer(blob, dtype=np.float32)
        return out

    def store_vectors(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self.transaction() as c:
            c.executemany("INSERT OR REPLACE INTO embed_cache VALUES (?,?,?)",
                          [(h, model, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()])
