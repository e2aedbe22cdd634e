"""The API's own durable tables (audit log, feedback, ingest jobs) on ``settings.audit_db_url``.

Separate metadata from the records store, so ``create_all`` here creates only ``api_*`` tables.
Works on SQLite (its own file by default, ``audit.sqlite3``; WAL, several workers share the file, writers
wait up to 30 s) and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import DeclarativeBase

from knowledge.records import make_engine


class ApiBase(DeclarativeBase):
    pass


def utcnow() -> datetime:
    """Naive UTC timestamp (stored the same way on every backend)."""
    return datetime.now(UTC).replace(tzinfo=None)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def make_api_engine(url: str, synchronous: str = "FULL") -> Engine:
    """``synchronous="NORMAL"`` for the audit log only (see ``knowledge.sqlite_files``)."""
    if url.startswith("sqlite"):
        return make_engine(url, synchronous=synchronous)
    return make_engine(url, pool_pre_ping=True)
