"""Authentication of API callers, apart from the audit log (which only records what this module decided).

- A bearer key is looked up by its full HMAC-SHA256 under a server secret and compared with
  ``hmac.compare_digest`` against every configured key (no early exit), so no truncated value
  authenticates anyone.
- Logs, the audit table, conversation owners and draft sidecars name a key by a *separate* keyed pseudonym
  (``k-`` + 16 hex of another HMAC): knowing it does not help to search for the key without the secret.
- The secret is ``MISHU_KEY_SECRET`` or, when unset, a random one kept in ``data_dir/api-key-secret``
  (mode 0600, created once, shared by every worker of the data dir).
- ``KeyGateMiddleware`` identifies every HTTP request once, leaves the result in the ASGI scope for the
  routes and the audit log, and refuses ``/v1`` requests without a known key before any body is parsed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mishu.api.errors import error_body
from mishu.settings import Role

SCOPE_AUTH = "mishu.auth"
SECRET_FILE = "api-key-secret"
_AUTH = b"mishu-auth\x00"
_PSEUDONYM = b"mishu-pseudonym\x00"


def load_secret(data_dir: Path, configured: str | None = None) -> bytes:
    """The server secret: the configured one, or the data dir's (created with 32 random bytes on first use)."""
    if configured:
        return configured.encode("utf-8")
    path = Path(data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic; loses quietly to a worker that created it first
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    for _ in range(50):
        text = path.read_text(encoding="ascii").strip()
        if text:
            return bytes.fromhex(text)
        time.sleep(0.01)
    raise RuntimeError(f"API 金鑰密鑰檔是空的：{path}")


@dataclass(frozen=True)
class Caller:
    key_id: str  # the keyed pseudonym, never the key nor a plain hash of it
    role: Role


@dataclass(frozen=True)
class AuthResult:
    """What the gate found for one request: the caller, or the pseudonym of an unknown presented key."""

    caller: Caller | None
    presented: str | None


class KeyRing:
    """API keys -> roles. Keeps only HMACs of the keys in memory."""

    def __init__(self, keys: dict[str, Role], secret: bytes) -> None:
        self._secret = secret
        self._entries = [(self._digest(k), Caller(self.pseudonym(k), r)) for k, r in keys.items()]

    def __bool__(self) -> bool:
        return bool(self._entries)

    def _digest(self, key: str) -> bytes:
        return hmac.new(self._secret, _AUTH + key.encode("utf-8"), hashlib.sha256).digest()

    def pseudonym(self, key: str) -> str:
        """The name of a key in logs: keyed, so it cannot be used to search for the key."""
        return (
            "k-" + hmac.new(self._secret, _PSEUDONYM + key.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        )

    @staticmethod
    def bearer(authorization: str | None) -> str | None:
        if not authorization:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None

    def identify(self, token: str | None) -> Caller | None:
        if token is None:
            return None
        digest = self._digest(token)
        found: Caller | None = None
        for known, caller in self._entries:  # every entry, in constant time each
            if hmac.compare_digest(known, digest):
                found = caller
        return found

    def check(self, token: str | None) -> AuthResult:
        caller = self.identify(token)
        return AuthResult(caller, None if caller or token is None else self.pseudonym(token))


def auth_of(scope: Scope) -> AuthResult | None:
    found = scope.get(SCOPE_AUTH)
    return found if isinstance(found, AuthResult) else None


class KeyGateMiddleware:
    """Identify the caller of every HTTP request; refuse each ``/v1`` request without a known key before
    anything else (body parsing included), so such a caller always gets 401, never a validation error.
    Roles are checked per route (``mishu.api.deps.Allowed``, from the table in core.policy)."""

    def __init__(self, app: ASGIApp, keys: KeyRing, prefix: str = "/v1") -> None:
        self.app = app
        self.keys = keys
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        token = KeyRing.bearer(headers.get("authorization"))
        result = self.keys.check(token)
        scope[SCOPE_AUTH] = result
        path = str(scope.get("path", ""))
        if result.caller is not None or not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        if not self.keys:
            msg = "伺服器尚未設定 API 金鑰（MISHU_API_KEYS），無法驗證身分"
        elif token is None:
            msg = "缺少 API 金鑰，請在標頭加上 Authorization: Bearer <金鑰>"
        else:
            msg = "API 金鑰無效"
        response = JSONResponse(
            error_body("unauthorized", msg), status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
        await response(scope, receive, send)
