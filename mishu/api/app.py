"""The FastAPI application over the mishu core.

``create_app(settings, container)`` builds it; ``app_from_env()`` is the factory uvicorn imports when
running several workers (``uvicorn.run("mishu.api.app:app_from_env", factory=True, workers=N)``), each
worker building its own container from the ``MISHU_*`` environment. No state that matters lives in a
worker: conversations, feedback, audit and ingest jobs are in the database, drafts in files.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI

from mishu.api import errors
from mishu.api.audit import AuditLog, AuditMiddleware, KeyGateMiddleware, KeyRing
from mishu.api.db import create_tables, make_api_engine
from mishu.api.deps import Services
from mishu.api.feedback import FeedbackStore
from mishu.api.jobs import IngestJobs
from mishu.api.routers import admin, ask, consultations, drafts, feedback, health, knowledge, records
from mishu.settings import Settings

log = logging.getLogger("mishu.api")

DESCRIPTION = """mishu（秘書）— 臺中市政府秘書處知識助理 API。

所有 /v1 路徑都需要 `Authorization: Bearer <API 金鑰>`；金鑰與角色（staff、hotline、admin）由設定
`MISHU_API_KEYS="key1:staff,key2:hotline,key3:admin"` 提供。限閱／密件文件只對有權限的角色檢索、引用與計數。
錯誤一律回傳 JSON：`{"error": {"code": "...", "message": "（繁體中文說明）", "details": [...]}}`。
"""


def warm_up(container: Any) -> None:
    """Build the shared components once, before requests arrive (cached properties are not thread-safe)."""
    container.kb.view()
    _ = container.retriever, container.records, container.assistant, container.articles


def create_app(settings: Settings | None = None, container: Any = None) -> FastAPI:
    if container is None:
        from mishu.app import Container

        container = Container(settings or Settings())
    settings = settings or container.settings
    assert settings is not None
    keys = KeyRing(settings.api_key_roles())
    engine = make_api_engine(settings.audit_db_url)
    try:
        create_tables(engine)
    except Exception:  # audit DB down: serve anyway, every failed audit write is logged
        log.exception("could not create API tables on %s", engine.url.render_as_string(hide_password=True))
    services = Services(settings=settings, container=container, keys=keys, audit=AuditLog(engine),
                        feedback=FeedbackStore(engine), jobs=IngestJobs(engine))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await anyio.to_thread.run_sync(warm_up, container)
        except Exception:
            log.exception("warm-up failed; components will load on first use")
        if not keys:
            log.warning("MISHU_API_KEYS is empty: every /v1 request will be refused (401)")
        yield

    app = FastAPI(title="mishu（秘書）API", version="1.0", description=DESCRIPTION, lifespan=lifespan,
                  responses={401: {"description": "缺少或無效的 API 金鑰"}})
    app.state.services = services
    errors.install(app)
    for r in (health.router, ask.router, knowledge.router, drafts.router, records.router, consultations.router,
              feedback.router, admin.router):
        app.include_router(r)
    app.add_middleware(KeyGateMiddleware, keys=keys)
    app.add_middleware(AuditMiddleware, audit=services.audit, keys=keys)  # outermost: audits refusals too
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` / multi-worker runs: settings from the environment."""
    return create_app(Settings())
