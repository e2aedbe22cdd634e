from __future__ import annotations

from fastapi import APIRouter

from mishu.api.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut, summary="服務健康檢查（不需金鑰）")
def healthz() -> HealthOut:
    return HealthOut()
