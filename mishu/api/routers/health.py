from __future__ import annotations

from fastapi import APIRouter

from core.access import ROLE_ZH
from mishu.api.deps import AnyRole, access_of
from mishu.api.schemas import HealthOut, MeOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="服務健康檢查（不需金鑰）")
async def healthz() -> HealthOut:
    """On the event loop, not the thread pool: answers while slow LLM asks hold worker threads (F-14)."""
    return HealthOut()


@router.get("/v1/me", response_model=MeOut, summary="目前金鑰的身分與可見的文件密等")
def me(caller: AnyRole) -> MeOut:
    return MeOut(key_id=caller.key_id, role=caller.role, role_zh=ROLE_ZH[caller.role],
                 access_levels=sorted(str(level) for level in access_of(caller)))
