"""The role policy: one table that says what each role may do, consulted by every path.

A *capability* names a kind of data or action (case records, the hotline log, drafting …). The API routes
declare the capability they serve (``mishu.api.deps.Allowed``); the tool box refuses a tool whose capability
the caller lacks and hides it from the LLM agent; the assistant routes a drafting request only when the
caller may draft. So a role reaches the same data by REST, ``/v1/ask``, ``/v1/ask/stream`` and drafts, or by
none of them. Which document access levels a role sees is in ``core.access.ROLE_LEVELS``.
"""

from __future__ import annotations

from enum import StrEnum

from core.access import ROLE_ZH, ROLES, Role


class Capability(StrEnum):
    regulations = "regulations"  # search, articles, documents, calculators (levels still filter documents)
    ask = "ask"  # /v1/ask, /v1/ask/stream, own conversations
    cases = "cases"  # procurement case records (budget, award, vendor, events)
    failed_tenders = "failed_tenders"  # failed-tender statistics and causes
    retention = "retention"  # the records-retention schedule
    building_safety = "building_safety"  # AED checks, drills, equipment inspections of the city hall
    vendor_check = "vendor_check"  # vendor suspension check (the suspension list is public)
    seed_teachers = "seed_teachers"  # procurement seed teachers by district
    consultations = "consultations"  # the hotline desk log
    drafting = "drafting"  # 投標須知 / 函 / 簽 drafts
    feedback = "feedback"  # send thumbs up/down
    admin = "admin"  # ingest, uploads, audit, feedback list, evaluation report


# zh-TW names, used in refusals ("採購案件紀錄限業務同仁、管理者使用")
CAPABILITY_ZH: dict[Capability, str] = {
    Capability.regulations: "法規檢索",
    Capability.ask: "問答",
    Capability.cases: "採購案件紀錄",
    Capability.failed_tenders: "流標／廢標統計",
    Capability.retention: "檔案保存年限查詢",
    Capability.building_safety: "市政大樓安全紀錄（AED、消防演練、設備檢修）",
    Capability.vendor_check: "廠商停權查詢",
    Capability.seed_teachers: "採購種子教師查詢",
    Capability.consultations: "專線諮詢紀錄",
    Capability.drafting: "擬稿",
    Capability.feedback: "回饋",
    Capability.admin: "知識庫管理",
}

_EVERYONE = {
    Capability.regulations,
    Capability.ask,
    Capability.vendor_check,
    Capability.seed_teachers,
    Capability.feedback,
}

# THE table. hotline: public regulations, the public suspension list and its own desk log — no case,
# failed-tender, retention or building-safety records, no drafts (these are internal working data).
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    "hotline": frozenset(_EVERYONE | {Capability.consultations}),
    "staff": frozenset(
        _EVERYONE
        | {
            Capability.cases,
            Capability.failed_tenders,
            Capability.retention,
            Capability.building_safety,
            Capability.drafting,
        }
    ),
    "admin": frozenset(Capability),
}

# every tool of the assistant's tool box -> the capability it needs (a tool missing here is refused)
TOOL_CAPABILITY: dict[str, Capability] = {
    "search_regulations": Capability.regulations,
    "get_article": Capability.regulations,
    "procurement_tier": Capability.regulations,
    "procurement_threshold": Capability.regulations,
    "procurement_amount": Capability.regulations,
    "tender_period": Capability.regulations,
    "bid_bond_and_guarantees": Capability.regulations,
    "lookup_case": Capability.cases,
    "find_cases": Capability.cases,
    "failed_tender_report": Capability.failed_tenders,
    "retention_lookup": Capability.retention,
    "building_safety_status": Capability.building_safety,
    "vendor_suspension_check": Capability.vendor_check,
    "find_seed_teachers": Capability.seed_teachers,
    "vendor_cases": Capability.cases,
    "failed_tender_events": Capability.failed_tenders,
    "suspended_vendors": Capability.vendor_check,
    "find_aeds": Capability.building_safety,
    "list_drills": Capability.building_safety,
    "inspection_history": Capability.building_safety,
    "log_consultation": Capability.consultations,
}


def roles_with(cap: Capability) -> list[Role]:
    return [r for r in ROLES if cap in ROLE_CAPABILITIES[r]]


def permits(role: str | None, cap: Capability) -> bool:
    """``None`` is a local operator (CLI on their own files): everything. An unknown role: nothing."""
    if role is None:
        return True
    caps = ROLE_CAPABILITIES.get(role)
    return caps is not None and cap in caps


def tool_permitted(role: str | None, tool: str) -> bool:
    cap = TOOL_CAPABILITY.get(tool)
    return cap is not None and permits(role, cap)


def denial(role: str | None, cap: Capability) -> str:
    """The zh-TW refusal for a role without ``cap``; the same whether or not the asked record exists."""
    names = "、".join(ROLE_ZH[r] for r in roles_with(cap))
    zh = {str(r): name for r, name in ROLE_ZH.items()}
    who = f"（目前身分：{zh[role]}）" if role is not None and role in zh else ""
    return f"{CAPABILITY_ZH[cap]}限{names}使用{who}"
