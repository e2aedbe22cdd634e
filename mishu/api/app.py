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
from functools import partial

import anyio
from fastapi import FastAPI
from sqlalchemy import Engine

from knowledge.indexer import ingest_running
from mishu.api.audit import AuditLog, AuditMiddleware
from mishu.api.auth import KeyGateMiddleware, KeyRing, load_secret
from mishu.api.db import ApiBase, make_api_engine
from mishu.api.deps import Services
from mishu.api.feedback import FeedbackStore
from mishu.api.handlers import install as install_error_handlers
from mishu.api.jobs import IngestJobs, add_missing_columns
from mishu.api.limits import BodyLimitMiddleware
from mishu.api.retention import PURGE_EVERY_S, Retention
from mishu.api.routers import admin, ask, consultations, drafts, feedback, health, knowledge, records
from mishu.api.schemas import ErrorOut
from mishu.app import Container
from mishu.settings import Settings

log = logging.getLogger("mishu.api")

DESCRIPTION = """mishu（秘書）— 臺中市政府秘書處知識助理 API。

所有 /v1 路徑都需要 `Authorization: Bearer <API 金鑰>`；金鑰與角色（staff、hotline、admin）由設定
`MISHU_API_KEYS="<至少 24 字元的金鑰>:staff,<金鑰>:hotline,<金鑰>:admin"` 提供。限閱／密件文件只對有權限的角色檢索、引用與計數。
錯誤一律回傳 JSON：`{"error": {"code": "...", "message": "（繁體中文說明）", "details": [...]}}`。
"""


def create_tables(engine: Engine) -> None:
    """The API's own tables (audit log, feedback, ingest jobs): their modules are imported above, so they are
    registered on ``ApiBase.metadata``."""
    ApiBase.metadata.create_all(engine)
    add_missing_columns(engine)


def warm_up(container: Container) -> None:
    """Build the shared components once, before requests arrive (cached properties are not thread-safe)."""
    container.kb.view()
    _ = container.retriever, container.records, container.assistant, container.articles, container.conversations
    container.retriever.search("押標金")  # loads the embedder model, jieba and the lexical snapshot


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    if container is None:
        container = Container(settings or Settings())
    settings = settings or container.settings
    assert settings is not None
    keys = KeyRing(settings.api_key_roles(), load_secret(settings.data_dir, settings.key_secret))
    engine = make_api_engine(settings.audit_db_url)
    try:
        create_tables(engine)
    except Exception:  # audit DB down: serve anyway, every failed audit write is logged
        log.exception("could not create API tables on %s", engine.url.render_as_string(hide_password=True))
    services = Services(settings=settings, container=container, keys=keys,
                        audit=AuditLog(make_api_engine(settings.audit_db_url, synchronous="NORMAL"),
                                       retention_days=settings.audit_retention_days),
                        feedback=FeedbackStore(engine),
                        jobs=IngestJobs(engine, running=partial(ingest_running, settings.index_dir)))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await anyio.to_thread.run_sync(warm_up, container)
        except Exception:
            log.exception("warm-up failed; components will load on first use")
        retention = Retention(lambda: container.conversations, settings.data_dir / "drafts",
                              settings.conversation_retention_days)
        # ghost jobs of a crash; audit retention; conversations and drafts retention (F-30)
        for step in (services.jobs.reap, services.audit.purge, retention.purge):
            try:
                await anyio.to_thread.run_sync(step)
            except Exception:
                log.exception("start-up step %s failed", step.__name__)
        if not keys:
            log.warning("MISHU_API_KEYS is empty: every /v1 request will be refused (401)")
        async with anyio.create_task_group() as tg:  # then hourly
            tg.start_soon(_purge_periodically, retention)
            yield
            tg.cancel_scope.cancel()

    app = FastAPI(title="mishu（秘書）API", version="1.0", description=DESCRIPTION, lifespan=lifespan,
                  responses={400: {"model": ErrorOut, "description": "請求格式不正確（例如 JSON 無法解析）"},
                             401: {"description": "缺少或無效的 API 金鑰"}})
    app.state.services = services
    install_error_handlers(app)
    for r in (health.router, ask.router, knowledge.router, drafts.router, records.router, consultations.router,
              feedback.router, admin.router):
        app.include_router(r)
    app.add_middleware(BodyLimitMiddleware, max_file_mb=settings.max_file_mb)  # inside the gate: knows the caller
    app.add_middleware(KeyGateMiddleware, keys=keys)
    app.add_middleware(AuditMiddleware, audit=services.audit,  # outermost: audits refusals too
                       keep_query=settings.audit_questions)
    return app


async def _purge_periodically(retention: Retention) -> None:
    while True:
        await anyio.sleep(PURGE_EVERY_S)
        try:
            await anyio.to_thread.run_sync(retention.purge)
        except Exception:
            log.exception("retention purge failed")


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` / multi-worker runs: settings from the environment."""
    return create_app(Settings())
