"""Dependencies shared by the routers: the wired services and the authenticated caller.

Use the ``Annotated`` aliases in route signatures: one per service (``assistant: AssistantDep``,
``records: RecordsDep``, ``drafting: DraftingDep``, ``retriever: RetrieverDep``, ``kb: KnowledgeDep``,
``settings: SettingsDep`` …),
``c: ContainerDep`` where a route composes several, and the caller with the capability the route serves
(``caller: CasesRole``, ``caller: AdminOnly`` …, from the role policy table in core.policy).
The types are imported at runtime: FastAPI reads these signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.conversations import ConversationStore
from assistant.drafting.service import DraftingService
from assistant.service import Assistant
from core.access import AccessLevel, allowed_levels
from core.policy import Capability, denial, permits
from knowledge.base import KnowledgeBase
from knowledge.records import RecordsService
from knowledge.retrieval import HybridRetriever
from mishu.api.audit import AuditLog
from mishu.api.auth import Caller, KeyRing
from mishu.api.errors import forbidden, unauthorized
from mishu.api.feedback import FeedbackStore
from mishu.api.jobs import IngestJobs
from mishu.app import Container
from mishu.settings import Settings


@dataclass
class Services:
    settings: Settings
    container: Container
    keys: KeyRing
    audit: AuditLog
    feedback: FeedbackStore
    jobs: IngestJobs


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_container(services: ServicesDep) -> Container:
    return services.container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


def get_assistant(c: ContainerDep) -> Assistant:
    return c.assistant


def get_conversations(c: ContainerDep) -> ConversationStore:
    return c.conversations


def get_retriever(c: ContainerDep) -> HybridRetriever:
    return c.retriever


def get_knowledge(c: ContainerDep) -> KnowledgeBase:
    return c.kb


def get_records(c: ContainerDep) -> RecordsService:
    return c.records


def get_drafting(c: ContainerDep) -> DraftingService:
    return c.drafting


SettingsDep = Annotated[Settings, Depends(get_settings)]
AssistantDep = Annotated[Assistant, Depends(get_assistant)]
ConversationsDep = Annotated[ConversationStore, Depends(get_conversations)]
RetrieverDep = Annotated[HybridRetriever, Depends(get_retriever)]
KnowledgeDep = Annotated[KnowledgeBase, Depends(get_knowledge)]
RecordsDep = Annotated[RecordsService, Depends(get_records)]
DraftingDep = Annotated[DraftingService, Depends(get_drafting)]

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


class Allowed:
    """Dependency: the caller's role has ``capability`` in the role policy table (core.policy), else 403."""

    def __init__(self, capability: Capability) -> None:
        self.capability = capability

    def __call__(self, caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        if not permits(caller.role, self.capability):
            raise forbidden(denial(caller.role, self.capability))
        return caller


AnyRole = Annotated[Caller, Depends(get_caller)]  # only /v1/me: who am I
AskRole = Annotated[Caller, Depends(Allowed(Capability.ask))]
RegulationsRole = Annotated[Caller, Depends(Allowed(Capability.regulations))]
CasesRole = Annotated[Caller, Depends(Allowed(Capability.cases))]
FailedTendersRole = Annotated[Caller, Depends(Allowed(Capability.failed_tenders))]
RetentionRole = Annotated[Caller, Depends(Allowed(Capability.retention))]
BuildingSafetyRole = Annotated[Caller, Depends(Allowed(Capability.building_safety))]
VendorCheckRole = Annotated[Caller, Depends(Allowed(Capability.vendor_check))]
SeedTeachersRole = Annotated[Caller, Depends(Allowed(Capability.seed_teachers))]
ConsultationsRole = Annotated[Caller, Depends(Allowed(Capability.consultations))]
DraftingRole = Annotated[Caller, Depends(Allowed(Capability.drafting))]
FeedbackRole = Annotated[Caller, Depends(Allowed(Capability.feedback))]
AdminOnly = Annotated[Caller, Depends(Allowed(Capability.admin))]


def access_of(caller: Caller) -> set[AccessLevel]:
    """Document access levels the caller may see (never None here: API callers always have a role)."""
    levels = allowed_levels(caller.role)
    assert levels is not None
    return levels
