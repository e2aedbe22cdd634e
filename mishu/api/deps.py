"""Dependencies shared by the routers: the wired services and the authenticated caller.

Use the ``Annotated`` aliases in route signatures: ``c: ContainerDep``, ``caller: AnyRole``,
``caller: AdminOnly`` ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ingest.models import AccessLevel
from knowledge.access import allowed_levels
from mishu.api.audit import AuditLog, Caller, KeyRing
from mishu.api.errors import forbidden, unauthorized
from mishu.api.feedback import FeedbackStore
from mishu.api.jobs import IngestJobs
from mishu.settings import Role, Settings

ROLE_ZH: dict[str, str] = {"staff": "業務同仁", "hotline": "採購專線", "admin": "管理者"}


@dataclass
class Services:
    settings: Settings
    container: Any  # mishu.app.Container
    keys: KeyRing
    audit: AuditLog
    feedback: FeedbackStore
    jobs: IngestJobs


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


def get_container(services: ServicesDep) -> Any:
    return services.container


ContainerDep = Annotated[Any, Depends(get_container)]

_bearer = HTTPBearer(auto_error=False, description="API 金鑰：Authorization: Bearer <key>")


def get_caller(services: ServicesDep,
               creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    if not services.keys:
        raise unauthorized("伺服器尚未設定 API 金鑰（MISHU_API_KEYS），無法驗證身分")
    if creds is None or not creds.credentials:
        raise unauthorized("缺少 API 金鑰，請在標頭加上 Authorization: Bearer <金鑰>")
    caller = services.keys.identify(creds.credentials)
    if caller is None:
        raise unauthorized("API 金鑰無效")
    return caller


def require(*roles: Role) -> Callable[..., Caller]:
    names = "、".join(ROLE_ZH[r] for r in roles)

    def dep(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        if caller.role not in roles:
            raise forbidden(f"此功能限{names}使用（目前身分：{ROLE_ZH[caller.role]}）")
        return caller

    return dep


AnyRole = Annotated[Caller, Depends(get_caller)]
StaffOrAdmin = Annotated[Caller, Depends(require("staff", "admin"))]
HotlineOrAdmin = Annotated[Caller, Depends(require("hotline", "admin"))]
AdminOnly = Annotated[Caller, Depends(require("admin"))]


def access_of(caller: Caller) -> set[AccessLevel]:
    """Document access levels the caller may see (never None here: API callers always have a role)."""
    levels = allowed_levels(caller.role)
    assert levels is not None
    return levels
