"""The role policy table (core/policy.py) holds on every path: REST routes, /v1/ask, /v1/ask/stream, drafts
(chat and REST) and the LLM agent's tools. Real app, real index over a few shipped laws, real 範例 records.

The review's F-01: a hotline key asking 「案號111S0002目前辦理到哪裡？決標金額多少？」 got the case record
through /v1/ask while /v1/cases/111S0002 answered 403.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core.policy import ROLE_CAPABILITIES, TOOL_CAPABILITY, Capability, permits

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
SUBSET = [
    SOURCES / "procurement" / "procurement-act.json",
    SOURCES / "procurement" / "tender-period-standards.json",
    SOURCES / "archives" / "archives-act.json",
    SOURCES / "emergency" / "public-place-emergency-equipment-rules.json",
]
KEYS = {
    "staff": "staff-key-policy-000000000001",
    "hotline": "hotline-key-policy-0000000001",
    "admin": "admin-key-policy-00000000001",
}
CASE_Q = "案號111S0002目前辦理到哪裡？決標金額多少？"
CASE_NAME = "111年度辦公桌椅採購"  # the 範例 record of 111S0002
CASE_AWARD = "41779000"


def H(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from mishu.api.app import create_app
    from mishu.app import Container
    from mishu.settings import Settings

    root = tmp_path_factory.mktemp("mishu-policy")
    src = root / "src"
    src.mkdir()
    for p in SUBSET:
        shutil.copy(p, src / p.name)
    settings = Settings(
        data_dir=root / "data",
        sources=[src],
        api_keys=",".join(f"{k}:{r}" for r, k in KEYS.items()),
    )
    c = Container(settings)
    assert not c.indexer.ingest([src]).failed
    c.ensure_sample_records()
    app = create_app(container=c)
    with TestClient(app) as client:
        yield {"client": client, "container": c, "app": app}


# --- the table itself -------------------------------------------------------------------------------------
def test_every_tool_has_a_capability_and_hotline_gets_no_internal_records(env: dict[str, Any]) -> None:
    names = {s.name for s in env["container"].toolbox.specs(allow_writes=True)}
    assert names == set(TOOL_CAPABILITY)
    hotline = ROLE_CAPABILITIES["hotline"]
    assert not hotline & {
        Capability.cases,
        Capability.failed_tenders,
        Capability.retention,
        Capability.building_safety,
        Capability.drafting,
    }
    assert Capability.vendor_check in hotline  # the suspension list is public


def test_every_v1_route_declares_one_capability_from_the_table(env: dict[str, Any]) -> None:
    from fastapi.routing import APIRoute

    from mishu.api.deps import Allowed

    def caps(dependant: Any) -> list[Capability]:
        out = [d.call.capability for d in dependant.dependencies if isinstance(d.call, Allowed)]
        return out + [c for d in dependant.dependencies for c in caps(d)]

    from mishu.api.routers import admin, ask, consultations, drafts, feedback, health, knowledge, records

    modules = (admin, ask, consultations, drafts, feedback, health, knowledge, records)
    routes = [
        r for m in modules for r in m.router.routes if isinstance(r, APIRoute) and r.path.startswith("/v1")
    ]
    assert len(routes) > 20
    for r in routes:
        found = caps(r.dependant)
        assert len(found) == 1 or r.path == "/v1/me", (r.path, found)


# --- REST -------------------------------------------------------------------------------------------------
REST = [
    ("GET", "/v1/cases/111S0002", None, Capability.cases),
    ("GET", "/v1/cases", None, Capability.cases),
    ("GET", "/v1/reports/failed-tenders", None, Capability.failed_tenders),
    ("GET", "/v1/retention?q=採購", None, Capability.retention),
    ("GET", "/v1/building-safety", None, Capability.building_safety),
    ("GET", "/v1/vendors/check?q=公司", None, Capability.vendor_check),
    ("GET", "/v1/seed-teachers?district=西屯區", None, Capability.seed_teachers),
    ("GET", "/v1/consultations", None, Capability.consultations),
    ("POST", "/v1/draft", {"kind": "tender_notice", "case_no": "111S0002"}, Capability.drafting),
    ("GET", "/v1/search?q=押標金&k=3", None, Capability.regulations),
    ("GET", "/v1/admin/ingest", None, Capability.admin),
]


@pytest.mark.parametrize("role", list(KEYS))
@pytest.mark.parametrize("method,path,body,cap", REST, ids=[p for _, p, _, _ in REST])
def test_rest_follows_the_table(
    env: dict[str, Any], role: str, method: str, path: str, body: Any, cap: Capability
) -> None:
    r = env["client"].request(method, path, json=body, headers=H(role))
    if permits(role, cap):
        assert r.status_code == 200, (role, r.text)
    else:
        assert r.status_code == 403, (role, r.text)
        assert r.json()["error"]["code"] == "forbidden" and CASE_NAME not in r.text


# --- /v1/ask and /v1/ask/stream ---------------------------------------------------------------------------
ASK = [
    (CASE_Q, "lookup_case", CASE_NAME),
    ("流標原因統計", "failed_tender_report", None),
    ("採購案件的保存年限", "retention_lookup", None),
    ("市政大樓安全狀況？AED哪幾台到期", "building_safety_status", None),
    ("統一編號06189352的廠商有沒有被停權？", "vendor_suspension_check", None),
]


def _stream_answer(client: TestClient, question: str, role: str) -> tuple[str, dict[str, Any]]:
    with client.stream("POST", "/v1/ask/stream", json={"question": question}, headers=H(role)) as r:
        assert r.status_code == 200
        body = "".join(r.iter_text())
    events = [b for b in body.split("\n\n") if b.startswith("event: answer")]
    return body, json.loads(events[0].split("data: ", 1)[1])


@pytest.mark.parametrize("role", list(KEYS))
@pytest.mark.parametrize("question,tool,secret_text", ASK, ids=[t for _, t, _ in ASK])
def test_ask_and_stream_follow_the_table(
    env: dict[str, Any], role: str, question: str, tool: str, secret_text: str | None
) -> None:
    client = env["client"]
    allowed = permits(role, TOOL_CAPABILITY[tool])
    r = client.post("/v1/ask?full=true", json={"question": question}, headers=H(role))
    assert r.status_code == 200, r.text
    streamed, streamed_answer = _stream_answer(client, question, role)
    for answer, raw in ((r.json(), r.text), (streamed_answer, streamed)):
        # the question may reach a narrower tool of the same capability (find_aeds for building_safety_status)
        calls = [t for t in answer["tool_calls"] if TOOL_CAPABILITY.get(t["name"]) == TOOL_CAPABILITY[tool]]
        assert calls, (role, tool, answer["tool_calls"])
        if allowed:
            assert calls[0]["result"] is not None and not calls[0].get("error"), calls[0]
            if secret_text:
                assert secret_text in raw
        else:
            assert calls[0]["result"] is None and calls[0]["denied"] and "限" in calls[0]["error"]
            assert answer["refused"] and "限業務同仁、管理者使用" in answer["answer"]
            if secret_text:
                assert secret_text not in raw and CASE_AWARD not in raw


def test_hotline_gets_no_case_record_by_any_path(env: dict[str, Any]) -> None:
    """The review's reproduction, contract form (no ?full) and the conversation history too."""
    client = env["client"]
    body = client.post("/v1/ask", json={"question": CASE_Q}, headers=H("hotline")).json()
    hist = client.get(f"/v1/conversations/{body['conversation_id']}", headers=H("hotline")).text
    for text in (json.dumps(body, ensure_ascii=False), hist):
        assert CASE_NAME not in text and CASE_AWARD not in text and "50950000" not in text
    staff = client.post("/v1/ask", json={"question": CASE_Q}, headers=H("staff")).json()
    assert CASE_NAME in staff["answer"]  # the same question does reach the record for staff


# --- drafts -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", list(KEYS))
def test_chat_drafting_follows_the_table(env: dict[str, Any], role: str) -> None:
    r = env["client"].post("/v1/ask", json={"question": "幫我擬案號111S0002的投標須知"}, headers=H(role))
    body = r.json()
    if permits(role, Capability.drafting):
        assert body["draft"] and "111S0002" in body["draft"]["markdown"]
    else:
        assert body["draft"] is None and body["refused"] and "擬稿限" in body["answer"]
        assert CASE_NAME not in r.text and not any(t.get("result") for t in body["tool_calls"])


# --- LLM agent ---------------------------------------------------------------------------------------------
def test_llm_agent_is_offered_only_the_roles_tools_and_a_forced_call_is_refused(env: dict[str, Any]) -> None:
    from assistant.llm_agent import LLMAgent
    from assistant.service import Assistant
    from tests.fakes import ScriptedChatModel, tool_call

    c = env["container"]
    model = ScriptedChatModel(
        replies=[tool_call("find_cases", {"text": "辦公桌椅"}), "查不到可以提供的紀錄。〔政府採購法第22條〕"]
    )
    agent = LLMAgent(model, c.kb)
    answer = Assistant(c.toolbox, c.assistant.composer, c.conversations, llm_agent=agent).ask(
        "辦公桌椅採購案的決標金額？", role="hotline"
    )
    assert "find_cases" not in model.bound_tools and "lookup_case" not in model.bound_tools
    assert "vendor_suspension_check" in model.bound_tools and "search_regulations" in model.bound_tools
    denied = [t for t in answer.tool_calls if t.name == "find_cases"]
    assert denied and denied[0].denied and denied[0].result is None
    assert all(CASE_NAME not in str(m.content) for msgs in model.calls for m in msgs)
