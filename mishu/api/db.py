"""The API's own durable tables (audit log, feedback, ingest jobs) on ``settings.audit_db_url``.

Separate metadata from the records store, so ``create_all`` here creates only ``api_*`` tables.
Works on SQLite (several workers share the file; writers wait up to 30 s) and PostgreSQL.
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


def make_api_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return make_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    return make_engine(url, pool_pre_ping=True)


def create_tables(engine: Engine) -> None:
    # import the modules that declare tables so they are registered on ApiBase.metadata
    from mishu.api import audit, feedback, jobs  # noqa: F401

    ApiBase.metadata.create_all(engine)
