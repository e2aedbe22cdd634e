"""Request-body limits, enforced before any route parses a body (review F-13).

FastAPI reads and parses a body before it checks the route's role, so without this a hotline key could make
the server spool gigabytes to /v1/admin/upload before its 403. Here, before the body is read:
- a ``/v1/admin/...`` request from a role without the admin capability gets its 403 at once;
- a declared ``Content-Length`` over the path's limit gets 413 at once;
- a body without a length (chunked) is counted while it streams and cut off with 413 at the limit.
Uploads may carry up to ``upload_max_files`` files of ``max_file_mb`` each; every other body 1 MiB.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.policy import Capability, denial, permits
from mishu.api.auth import auth_of
from mishu.api.errors import error_body

JSON_BODY_MAX = 1024 * 1024
UPLOAD_MAX_FILES = 20
UPLOAD_PATH = "/v1/admin/upload"
ADMIN_PREFIX = "/v1/admin/"


class BodyTooLarge(HTTPException):
    """Raised from the counted ``receive``: FastAPI re-raises HTTP exceptions from body parsing as they are."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodyLimitMiddleware:
    """Placed inside the key gate (it reads the caller the gate identified)."""

    def __init__(self, app: ASGIApp, max_file_mb: float) -> None:
        self.app = app
        self.upload_max = int(max_file_mb * 1024 * 1024) * UPLOAD_MAX_FILES + 64 * 1024  # + multipart framing

    def limit_for(self, path: str) -> int:
        return self.upload_max if path == UPLOAD_PATH else JSON_BODY_MAX

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith("/v1"):
            await self.app(scope, receive, send)
            return
        auth = auth_of(scope)
        if path.startswith(ADMIN_PREFIX) and auth and auth.caller and not permits(auth.caller.role, Capability.admin):
            await _error(scope, receive, send, 403, "forbidden", denial(auth.caller.role, Capability.admin))
            return
        limit = self.limit_for(path)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _error(scope, receive, send, 413, "payload_too_large", _too_large(limit))
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, send_wrapper)
        except BodyTooLarge:
            if not started:
                await _error(scope, receive, send, 413, "payload_too_large", _too_large(limit))


def _too_large(limit: int) -> str:
    return f"請求內容過大（上限 {limit / 1024 / 1024:.0f} MB）"


async def _error(scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str) -> None:
    await JSONResponse(error_body(code, message), status_code=status)(scope, receive, send)
