"""Exception handlers: every error (the API's own, request validation, HTTP, core exceptions, anything
unexpected) leaves as the JSON error body of ``mishu.api.errors``, and its code is noted on the audit row.
Core exceptions are translated here, at the edge."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.drafting.docx_writer import DocxWriteError
from assistant.llm_agent import LLMUnavailable
from assistant.service import AskError
from core.storage import check_writable, storage_problem
from knowledge.records import RecordsValidationError
from mishu.api.audit import note
from mishu.api.errors import STATUS_CODES, ApiError, error_response, invalid, validation_details

log = logging.getLogger("mishu.api")


def _respond(request: Request, err: ApiError) -> JSONResponse:
    note(request).error_code = err.code
    return error_response(err)


def install(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""
    @app.exception_handler(ApiError)
    async def _api_error(r: Request, exc: ApiError) -> JSONResponse:
        return _respond(r, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(r: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(list(exc.errors()))
        first = details[0] if details else None
        msg = "請求內容不正確" + (f"：{first['field']} {first['message']}" if first else "")
        return _respond(r, invalid(msg, details))

    @app.exception_handler(StarletteHTTPException)
    async def _http(r: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, msg = STATUS_CODES.get(exc.status_code, ("http_error", "請求無法處理"))
        return _respond(r, ApiError(exc.status_code, code, msg, headers=getattr(exc, "headers", None)))

    @app.exception_handler(AskError)
    async def _ask(r: Request, exc: AskError) -> JSONResponse:
        return _respond(r, invalid(str(exc), [{"field": "question", "message": str(exc), "type": "ask"}]))

    @app.exception_handler(LLMUnavailable)
    async def _llm(r: Request, exc: LLMUnavailable) -> JSONResponse:
        status = 504 if exc.code == "llm_timeout" else 503
        return _respond(r, ApiError(status, exc.code, exc.message, headers={"Retry-After": "5"}))

    @app.exception_handler(RecordsValidationError)
    async def _records(r: Request, exc: RecordsValidationError) -> JSONResponse:
        details = [{"field": f, "message": m, "type": "records"} for f, m in exc.issues]
        return _respond(r, invalid(str(exc), details))

    @app.exception_handler(DocxWriteError)
    async def _docx(r: Request, exc: DocxWriteError) -> JSONResponse:
        log.error("draft .docx not written on %s: %s", r.url.path, exc)
        return _respond(r, ApiError(507, "draft_not_written", "草稿 Word 檔無法寫入（伺服器儲存空間或權限問題），請通知管理者"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # a full disk or a read-only data dir: say so, not a bare 500. SQLite does not always name the cause
        # ("disk I/O error" when it cannot create its WAL), so a failed write probe of the data dir counts too.
        problem = storage_problem(exc) or check_writable(request.app.state.services.settings.data_dir)
        if problem is not None:
            log.error("storage %s on %s %s: %r", problem.kind, request.method, request.url.path, exc,
                      exc_info=exc)
            status, code = (507, "storage_full") if problem.kind == "full" else (503, "storage_read_only")
            return _respond(request, ApiError(status, code, problem.message))
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _respond(request, ApiError(500, "internal_error", "伺服器發生錯誤，已記錄，請稍後再試"))
