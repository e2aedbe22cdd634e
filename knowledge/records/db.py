"""Engines for the records store: the writable engine, and a read-only engine for queries.

Read-only guarantee per backend:
- SQLite file: a separate engine opening the file with ``mode=ro`` and ``PRAGMA query_only=ON``.
- SQLite in-memory: the same connection with ``PRAGMA query_only=ON`` for the duration of the read.
- PostgreSQL: a separate engine whose sessions are ``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY``.
- MySQL/MariaDB: ``SET SESSION TRANSACTION READ ONLY``.
Additionally every read session refuses ORM flushes and is rolled back, never committed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from knowledge import sqlite_files

from .models import Base

_READ_ONLY = "mishu_read_only"  # connection info flag: a read-only use of a writable connection


class ReadOnlyViolation(RuntimeError):
    """Raised when code tries to write through a read-only session."""


def make_engine(url: str, *, synchronous: str = sqlite_files.SYNCHRONOUS, **kwargs: Any) -> Engine:
    """Engine for any SQLAlchemy URL; SQLite files get their parent folder created, foreign keys on, and
    WAL, a busy timeout and ``synchronous`` (FULL by default; ``knowledge.sqlite_files`` says when NORMAL)."""
    if url.startswith("sqlite"):
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", sqlite_files.BUSY_TIMEOUT_MS / 1000)
        connect_args.setdefault("check_same_thread", False)
        kwargs["connect_args"] = connect_args
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        db = engine.url.database
        if db and db != ":memory:" and not db.startswith("file:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # the driver's implicit BEGIN is replaced by _begin below
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            sqlite_files.tune(dbapi_conn, synchronous=synchronous)

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            # IMMEDIATE: a transaction takes the write lock when it starts (waiting up to the busy timeout).
            # A deferred one that reads, then writes, fails at once with "database is locked" when another
            # connection committed in between (WAL cannot upgrade a stale read snapshot).
            conn.exec_driver_sql("BEGIN" if conn.info.get(_READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def init_db(url: str) -> Engine:
    """Create the engine and all ``rec_*`` tables (idempotent)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    return engine


def _sqlite_file(engine: Engine) -> str | None:
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return str(Path(db).expanduser().resolve())


def _refuse_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyViolation("唯讀查詢不可寫入資料")


@contextmanager
def reading(engine: Engine, *, query_only: bool = False) -> Iterator[Session]:
    """A session for reads on a writable engine (conversation look-ups): on SQLite its transaction begins
    deferred (``BEGIN``) instead of ``BEGIN IMMEDIATE``, so a read neither takes nor waits for the write lock
    (WAL: it reads the last committed state) while other requests write turns, consultations or records.
    Flushes are refused and the session is rolled back, never committed. ``query_only`` (SQLite) also turns
    on ``PRAGMA query_only`` for the connection while the session lasts."""
    with engine.connect() as conn:
        conn.info[_READ_ONLY] = True  # read by the "begin" listener of make_engine
        if query_only:
            conn.exec_driver_sql("PRAGMA query_only=ON")
        try:
            with Session(bind=conn, autoflush=False) as s:
                event.listen(s, "before_flush", _refuse_flush)
                try:
                    yield s
                finally:
                    s.rollback()
        finally:
            conn.rollback()
            if query_only:
                conn.exec_driver_sql("PRAGMA query_only=OFF")
                conn.rollback()
            conn.info.pop(_READ_ONLY, None)


class ReadOnlyAccess:
    """Hands out read-only sessions for an engine (see module docstring for the guarantee)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ro_engine: Engine | None = None
        self._shared = False
        path = _sqlite_file(engine)
        if path is not None:
            self._path: str | None = path
        else:
            self._path = None
            if engine.dialect.name == "sqlite":  # in-memory / URI form: toggle query_only on the shared connection
                self._shared = True

    def _build(self) -> Engine:
        if self._ro_engine is not None:
            return self._ro_engine
        dialect = self._engine.dialect.name
        if self._path is not None:
            path = self._path
            if not Path(path).exists():
                raise FileNotFoundError(f"紀錄資料庫不存在：{path}（請先執行初始化或匯入）")
            uri = f"file:{quote(path)}?mode=ro"

            def connect() -> sqlite3.Connection:
                conn = sqlite3.connect(uri, uri=True, check_same_thread=False,
                                       timeout=sqlite_files.BUSY_TIMEOUT_MS / 1000)
                sqlite_files.tune(conn, read_only=True)
                conn.execute("PRAGMA query_only=ON")
                return conn

            # QueuePool explicitly: a bare "sqlite://" URL would otherwise get the in-memory SingletonThreadPool
            ro = create_engine("sqlite://", creator=connect, poolclass=QueuePool)
        else:
            ro = create_engine(self._engine.url)
            stmt = {"postgresql": "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                    "mysql": "SET SESSION TRANSACTION READ ONLY",
                    "mariadb": "SET SESSION TRANSACTION READ ONLY"}.get(dialect)
            if stmt:
                @event.listens_for(ro, "connect")
                def _ro(dbapi_conn: Any, _record: Any) -> None:
                    cur = dbapi_conn.cursor()
                    cur.execute(stmt)
                    cur.close()
                    if dialect == "postgresql":
                        dbapi_conn.commit()

        self._ro_engine = ro
        return ro

    @contextmanager
    def session(self) -> Iterator[Session]:
        if self._shared:  # in-memory / URI SQLite: one shared connection, query_only toggled around the read
            with reading(self._engine, query_only=True) as s:
                yield s
            return
        with Session(self._build(), autoflush=False) as s:
            event.listen(s, "before_flush", _refuse_flush)
            try:
                yield s
            finally:
                s.rollback()

    def dispose(self) -> None:
        if self._ro_engine is not None:
            self._ro_engine.dispose()
