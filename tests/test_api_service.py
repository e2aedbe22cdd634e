"""The FastAPI service end to end: real app (TestClient), real index (USE embedder, embedded Chroma, BM25)
over a few shipped laws plus a 限閱 and a 密 document written here, real SQLite records/audit stores.

Keys: staff, a second staff key, hotline, admin. The acceptance item — a caller without the role for a
restricted document gets neither its text nor its citation — is checked on search, ask (JSON and
stream), article view and the document list.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
SUBSET = [SOURCES / "procurement" / "procurement-act.json",
          SOURCES / "procurement" / "tender-period-standards.json",
          SOURCES / "procurement" / "bid-bond-guarantee-rules.json",
          SOURCES / "archives" / "archives-act.json"]

RESTRICTED_TITLE = "臺中市政府採購稽核紫晶作業要點"
RESTRICTED_TERM = "紫晶稽核小組"
RESTRICTED_MD = f"""---
doc_id: internal-audit-points
title: {RESTRICTED_TITLE}
domain: procurement
version: 2026-01-01
access_level: restricted
---

# {RESTRICTED_TITLE}

### 第 1 條

本府為辦理採購稽核，設{RESTRICTED_TERM}，由秘書長召集，每季召開會議一次。

### 第 2 條

{RESTRICTED_TERM}應抽查各機關採購案件，抽查比率不得低於百分之五。
"""
SECRET_TITLE = "臺中市政府採購底價琥珀保密要點"
SECRET_MD = f"""---
doc_id: secret-price-points
title: {SECRET_TITLE}
domain: procurement
version: 2026-02-01
access_level: secret
---

# {SECRET_TITLE}

### 第 1 條

底價琥珀密封袋由主持人保管，開標前不得開啟。
"""

KEYS = {"staff": "key-staff-1-0000000000000000", "staff2": "key-staff-2-0000000000000000",
        "hotline": "key-hotline-1-00000000000000", "admin": "key-admin-1-0000000000000000"}  # 24+ characters
ROLE_OF = {"staff": "staff", "staff2": "staff", "hotline": "hotline", "admin": "admin"}


def H(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[who]}"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from mishu.api.app import create_app
    from mishu.app import Container
    from mishu.settings import Settings

    root = tmp_path_factory.mktemp("mishu-api")
    src = root / "src"
    src.mkdir()
    for p in SUBSET:
        shutil.copy(p, src / p.name)
    (src / "internal-audit-points.md").write_text(RESTRICTED_MD, encoding="utf-8")
    (src / "secret-price-points.md").write_text(SECRET_MD, encoding="utf-8")
    settings = Settings(_env_file=None, data_dir=root / "data", sources=[src],
                        api_keys=",".join(f"{k}:{ROLE_OF[w]}" for w, k in KEYS.items()))
    c = Container(settings)
    report = c.indexer.ingest([src])
    assert not report.failed, report.failed
    c.ensure_sample_records()
    app = create_app(container=c)
    with TestClient(app) as client:
        yield {"client": client, "container": c, "settings": settings, "root": root, "src": src}


@pytest.fixture
def client(env: dict[str, Any]) -> TestClient:
    return env["client"]


def audit_rows(env: dict[str, Any], path: str | None = None) -> list[dict[str, Any]]:
    eng = create_engine(env["settings"].audit_db_url)
    try:
        with eng.connect() as conn:
            sql = "SELECT * FROM api_audit" + (" WHERE path = :p" if path else "") + " ORDER BY id"
            return [dict(r._mapping) for r in conn.execute(text(sql), {"p": path} if path else {})]
    finally:
        eng.dispose()


def sse_events(body: str) -> list[tuple[str, Any]]:
    out = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert err["message"] and any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])  # zh message
    return err


# --- health, OpenAPI, auth -----------------------------------------------------------------------
def test_healthz_needs_no_key(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_openapi_lists_every_route_with_zh_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for p in ["/healthz", "/v1/ask", "/v1/ask/stream", "/v1/conversations/{conversation_id}", "/v1/search",
              "/v1/articles/{title}/{no}", "/v1/documents", "/v1/draft", "/v1/draft/{draft_id}.docx",
              "/v1/cases/{case_no}", "/v1/cases", "/v1/reports/failed-tenders", "/v1/vendors/check",
              "/v1/retention", "/v1/building-safety", "/v1/consultations", "/v1/consultations/counts",
              "/v1/consultations/export.csv", "/v1/feedback", "/v1/admin/ingest", "/v1/admin/upload",
              "/v1/admin/ingest/{job_id}", "/v1/admin/eval-report"]:
        assert p in paths, p
    examples = spec["components"]["schemas"]["AskRequest"]["examples"]
    assert examples[0]["question"] == "押標金最高可以收多少？"
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


PROTECTED = [("GET", "/v1/me", None), ("POST", "/v1/ask", {"question": "押標金上限？"}), ("POST", "/v1/ask/stream", {"question": "押標金"}),
             ("GET", "/v1/conversations/abc", None), ("GET", "/v1/search?q=押標金", None),
             ("GET", "/v1/articles/政府採購法/22", None), ("GET", "/v1/documents", None),
             ("POST", "/v1/draft", {"kind": "memo"}), ("GET", "/v1/draft/" + "0" * 32 + ".docx", None),
             ("GET", "/v1/cases/X", None), ("GET", "/v1/cases", None), ("GET", "/v1/reports/failed-tenders", None),
             ("GET", "/v1/vendors/check?q=x", None), ("GET", "/v1/retention?q=x", None),
             ("GET", "/v1/building-safety", None), ("GET", "/v1/seed-teachers?district=西屯區", None),
             ("POST", "/v1/consultations", {}), ("GET", "/v1/consultations", None),
             ("GET", "/v1/consultations/counts", None), ("GET", "/v1/consultations/export.csv", None),
             ("POST", "/v1/feedback", {}), ("GET", "/v1/feedback", None), ("POST", "/v1/admin/ingest", None),
             ("GET", "/v1/admin/ingest", None), ("GET", "/v1/admin/ingest/x", None), ("POST", "/v1/admin/upload", None),
             ("GET", "/v1/admin/eval-report", None), ("GET", "/v1/admin/audit", None)]


@pytest.mark.parametrize("method,path,body", PROTECTED, ids=[f"{m} {p}" for m, p, _ in PROTECTED])
def test_every_v1_route_refuses_missing_and_unknown_keys(client: TestClient, method: str, path: str,
                                                         body: Any) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-key"}, {"Authorization": f"Basic {KEYS['admin']}"}):
        r = client.request(method, path, json=body, headers=headers)
        assert_error(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"] == "Bearer"


def test_me_reports_role_and_access_levels(client: TestClient) -> None:
    me = client.get("/v1/me", headers=H("hotline")).json()
    assert me["role"] == "hotline" and me["access_levels"] == ["public"] and me["key_id"].startswith("k-")
    assert client.get("/v1/me", headers=H("admin")).json()["access_levels"] == ["public", "restricted", "secret"]


def test_no_configured_keys_refuses_everything_but_health(env: dict[str, Any]) -> None:
    from mishu.api.app import create_app

    app = create_app(env["settings"].model_copy(update={"api_keys": ""}), container=env["container"])
    with TestClient(app) as c2:
        assert c2.get("/healthz").status_code == 200
        err = assert_error(c2.get("/v1/documents", headers=H("admin")), 401, "unauthorized")
        assert "MISHU_API_KEYS" in err["message"]


def test_missing_key_wins_over_a_bad_body(client: TestClient) -> None:
    assert_error(client.post("/v1/ask", content=b"{not json", headers={"Content-Type": "application/json"}),
                 401, "unauthorized")
    assert_error(client.post("/v1/ask", json={"question": ""}), 401, "unauthorized")


# role matrix: route -> roles allowed (others get 403)
ROLE_MATRIX = [
    ("POST", "/v1/draft", {"kind": "memo", "fields": {"主旨": "測試"}}, {"staff", "admin"}),
    ("GET", "/v1/cases", None, {"staff", "admin"}),
    ("GET", "/v1/reports/failed-tenders", None, {"staff", "admin"}),
    ("GET", "/v1/retention?q=採購", None, {"staff", "admin"}),
    ("GET", "/v1/building-safety", None, {"staff", "admin"}),
    ("GET", "/v1/vendors/check?q=公司", None, {"staff", "hotline", "admin"}),
    ("GET", "/v1/seed-teachers?district=西屯區", None, {"staff", "hotline", "admin"}),
    ("GET", "/v1/consultations", None, {"hotline", "admin"}),
    ("GET", "/v1/consultations/counts", None, {"hotline", "admin"}),
    ("GET", "/v1/consultations/export.csv", None, {"hotline", "admin"}),
    ("GET", "/v1/feedback", None, {"admin"}),
    ("GET", "/v1/admin/ingest", None, {"admin"}),
    ("GET", "/v1/admin/audit", None, {"admin"}),
    ("GET", "/v1/documents", None, {"staff", "hotline", "admin"}),
    ("GET", "/v1/search?q=押標金&k=3", None, {"staff", "hotline", "admin"}),
]


@pytest.mark.parametrize("method,path,body,allowed", ROLE_MATRIX, ids=[f"{m} {p}" for m, p, _, _ in ROLE_MATRIX])
def test_role_matrix(client: TestClient, method: str, path: str, body: Any, allowed: set[str]) -> None:
    for who in ("staff", "hotline", "admin"):
        r = client.request(method, path, json=body, headers=H(who))
        if who in allowed:
            assert r.status_code == 200, (who, r.text)
        else:
            assert_error(r, 403, "forbidden")


def test_admin_only_writes_are_refused_to_staff_and_hotline(client: TestClient) -> None:
    for who in ("staff", "hotline"):
        assert_error(client.post("/v1/admin/ingest", headers=H(who)), 403, "forbidden")
        files = {"files": ("a.md", b"# x", "text/markdown")}
        assert_error(client.post("/v1/admin/upload", files=files, headers=H(who)), 403, "forbidden")
        assert_error(client.get("/v1/admin/eval-report", headers=H(who)), 403, "forbidden")
    assert_error(client.post("/v1/consultations", json={}, headers=H("staff")), 403, "forbidden")


def test_unknown_path_and_method_are_json_errors(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing-here", headers=H("staff")), 404, "not_found")
    assert_error(client.delete("/v1/search", headers=H("staff")), 405, "method_not_allowed")


# --- ask -------------------------------------------------------------------------------------------
def test_ask_returns_the_design_answer_object_and_audits_citations(env: dict[str, Any], client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "押標金的額度怎麼定？", "conversation_id": None}, headers=H("staff"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"answer", "refused", "mode", "citations", "tool_calls", "draft", "facts", "clarify",
                         "conversation_id"}
    assert body["mode"] == "extractive" and body["refused"] is False and body["citations"]
    for cit in body["citations"]:
        assert set(cit) == {"title", "no", "quote", "amended"}
        art = client.get(f"/v1/articles/{cit['title']}/{cit['no']}", headers=H("staff")).json()
        assert cit["quote"] in art["text"]  # verbatim
    rows = [r for r in audit_rows(env, "/v1/ask") if (r["detail"] or "").find(body["conversation_id"]) >= 0]
    assert rows, "ask not audited"
    row = rows[-1]
    assert row["status"] == 200 and row["role"] == "staff" and row["method"] == "POST"
    assert json.loads(row["citations"]) == [{"title": c["title"], "no": c["no"]} for c in body["citations"]]
    assert row["key_id"].startswith("k-") and KEYS["staff"] not in json.dumps(row, default=str)


def test_ask_follow_up_and_conversation_history_belong_to_the_key(client: TestClient) -> None:
    first = client.post("/v1/ask", json={"question": "公告金額以上的工程等標期幾天？"}, headers=H("staff")).json()
    cid = first["conversation_id"]
    second = client.post("/v1/ask", json={"question": "那押標金呢？", "conversation_id": cid}, headers=H("staff"))
    assert second.status_code == 200 and second.json()["conversation_id"] == cid
    hist = client.get(f"/v1/conversations/{cid}", headers=H("staff")).json()
    assert [t["question"] for t in hist["turns"]] == ["公告金額以上的工程等標期幾天？", "那押標金呢？"]
    # another key (even with the same role) neither reads nor continues it; admin may read
    assert_error(client.get(f"/v1/conversations/{cid}", headers=H("staff2")), 404, "not_found")
    assert_error(client.get(f"/v1/conversations/{cid}", headers=H("hotline")), 404, "not_found")
    assert_error(client.post("/v1/ask", json={"question": "再說一次", "conversation_id": cid}, headers=H("hotline")),
                 404, "not_found")
    assert client.get(f"/v1/conversations/{cid}", headers=H("admin")).status_code == 200
    assert_error(client.get("/v1/conversations/nope", headers=H("staff")), 404, "not_found")


def test_admin_reads_but_cannot_continue_another_keys_conversation(client: TestClient) -> None:
    """Review F-16: an admin turn in a hotline conversation was answered with admin access, and the hotline
    owner then read the secret quote in their own history."""
    cid = client.post("/v1/ask", json={"question": "公告金額以上的工程等標期幾天？"},
                      headers=H("hotline")).json()["conversation_id"]
    for path in ("/v1/ask", "/v1/ask/stream"):
        r = client.post(path, json={"question": "底價琥珀密封袋由誰保管？", "conversation_id": cid},
                        headers=H("admin"))
        assert_error(r, 403, "forbidden")
    assert client.get(f"/v1/conversations/{cid}", headers=H("admin")).status_code == 200  # reading is fine
    hist = client.get(f"/v1/conversations/{cid}", headers=H("hotline")).json()
    assert [t["question"] for t in hist["turns"]] == ["公告金額以上的工程等標期幾天？"]


def test_ask_bad_input_is_422_with_field_details(client: TestClient) -> None:
    err = assert_error(client.post("/v1/ask", json={"question": ""}, headers=H("staff")), 422, "invalid_request")
    assert err["details"][0]["field"] == "body.question"
    assert_error(client.post("/v1/ask", json={"question": "字" * 2001}, headers=H("staff")), 422, "invalid_request")
    assert_error(client.post("/v1/ask", json={}, headers=H("staff")), 422, "invalid_request")
    r = client.post("/v1/ask", content=b"{not json", headers=H("staff") | {"Content-Type": "application/json"})
    assert_error(r, 422, "invalid_request")
    assert_error(client.post("/v1/ask", json={"question": "   "}, headers=H("staff")), 422, "invalid_request")


def test_ask_full_adds_detail_fields(client: TestClient) -> None:
    body = client.post("/v1/ask?full=true", json={"question": "押標金的額度怎麼定？"}, headers=H("admin")).json()
    assert {"related", "flags", "latency_ms", "conversation_id"} <= set(body)
    assert body["citations"][0]["label"]


def test_ask_stream_sends_status_deltas_answer_and_is_audited(env: dict[str, Any], client: TestClient) -> None:
    with client.stream("POST", "/v1/ask/stream", json={"question": "押標金的額度怎麼定？"}, headers=H("staff")) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events("".join(r.iter_text()))
    kinds = [e for e, _ in events]
    assert kinds[0] == "status" and kinds[-2:] == ["answer", "done"] and "delta" in kinds
    answer = events[-2][1]
    assert "".join(d["text"] for e, d in events if e == "delta") == answer["answer"]
    assert answer["citations"] and answer["conversation_id"]
    row = audit_rows(env, "/v1/ask/stream")[-1]
    assert [c["no"] for c in json.loads(row["citations"])] == [c["no"] for c in answer["citations"]]


# --- access levels (acceptance) --------------------------------------------------------------------
def _titles(rows: list[dict[str, Any]]) -> set[str]:
    return {r["title"] for r in rows}


def test_hotline_gets_neither_text_nor_citation_of_a_restricted_document(client: TestClient) -> None:
    q = f"{RESTRICTED_TERM}由誰召集？"
    # search
    hits = client.get("/v1/search", params={"q": q, "k": 20}, headers=H("hotline")).json()
    assert RESTRICTED_TITLE not in _titles(hits) and not any(RESTRICTED_TERM in h["text"] for h in hits)
    # ask (JSON, full detail) — no citation, no quote, no related entry, no text
    body = client.post("/v1/ask?full=true", json={"question": q}, headers=H("hotline")).json()
    assert RESTRICTED_TITLE not in json.dumps(body, ensure_ascii=False)
    assert RESTRICTED_TERM not in body["answer"].replace(q, "")
    # ask (stream)
    with client.stream("POST", "/v1/ask/stream", json={"question": q}, headers=H("hotline")) as r:
        streamed = "".join(r.iter_text())
    assert RESTRICTED_TITLE not in streamed
    # article view: same 404 as a missing article
    assert_error(client.get(f"/v1/articles/{RESTRICTED_TITLE}/1", headers=H("hotline")), 404, "not_found")
    # not counted in the document list
    assert RESTRICTED_TITLE not in _titles(client.get("/v1/documents", headers=H("hotline")).json())


@pytest.mark.parametrize("who", ["staff", "admin"])
def test_staff_and_admin_see_the_restricted_document(client: TestClient, who: str) -> None:
    q = f"{RESTRICTED_TERM}由誰召集？"
    hits = client.get("/v1/search", params={"q": q, "k": 5}, headers=H(who)).json()
    assert hits[0]["title"] == RESTRICTED_TITLE and RESTRICTED_TERM in hits[0]["text"]
    body = client.post("/v1/ask", json={"question": q}, headers=H(who)).json()
    assert (RESTRICTED_TITLE, "1") in {(c["title"], c["no"]) for c in body["citations"]}
    art = client.get(f"/v1/articles/{RESTRICTED_TITLE}/1", headers=H(who)).json()
    assert "秘書長召集" in art["text"] and art["access_level"] == "restricted"
    assert art["versions"] and art["versions"][0]["is_current"]
    assert RESTRICTED_TITLE in _titles(client.get("/v1/documents", headers=H(who)).json())


def test_secret_document_is_admin_only(client: TestClient) -> None:
    q = "底價琥珀密封袋由誰保管？"
    for who in ("staff", "hotline"):
        hits = client.get("/v1/search", params={"q": q, "k": 20}, headers=H(who)).json()
        assert SECRET_TITLE not in _titles(hits)
        assert_error(client.get(f"/v1/articles/{SECRET_TITLE}/1", headers=H(who)), 404, "not_found")
        assert SECRET_TITLE not in _titles(client.get("/v1/documents", headers=H(who)).json())
    hits = client.get("/v1/search", params={"q": q, "k": 5}, headers=H("admin")).json()
    assert hits[0]["title"] == SECRET_TITLE


# --- search / articles / documents ----------------------------------------------------------------
def test_search_is_the_same_list_as_the_cli(env: dict[str, Any], client: TestClient,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from mishu.cli import main

    q = "押標金 額度"
    api = client.get("/v1/search", params={"q": q, "k": 10}, headers=H("admin")).json()
    assert main(["--data-dir", str(env["settings"].data_dir), "search", q, "--k", "10", "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert api == cli and len(api) == 10
    assert {"title", "no", "score", "text", "doc_id", "amended"} <= set(api[0])


def test_search_validation(client: TestClient) -> None:
    assert_error(client.get("/v1/search", params={"q": "x", "k": 0}, headers=H("staff")), 422, "invalid_request")
    assert_error(client.get("/v1/search", params={"q": "x", "k": 101}, headers=H("staff")), 422, "invalid_request")
    assert_error(client.get("/v1/search", params={"q": "   "}, headers=H("staff")), 422, "invalid_request")


def test_article_view_with_versions_and_as_of(client: TestClient) -> None:
    art = client.get("/v1/articles/政府採購法/11-1", headers=H("hotline")).json()
    assert art["label"] == "第11條之1" and art["text"] and art["amended"]
    assert [v["title"] for v in art["versions"]] == ["政府採購法"]
    assert_error(client.get("/v1/articles/政府採購法/22", params={"as_of": "1990-01-01"}, headers=H("staff")),
                 404, "not_found")
    assert_error(client.get("/v1/articles/政府採購法/9999", headers=H("staff")), 404, "not_found")
    assert_error(client.get("/v1/articles/政府採購法/22", params={"as_of": "昨天"}, headers=H("staff")),
                 422, "invalid_request")


def test_documents_list_fields(client: TestClient) -> None:
    docs = client.get("/v1/documents", headers=H("admin")).json()
    by_title = {d["title"]: d for d in docs}
    assert {"政府採購法", "檔案法", RESTRICTED_TITLE, SECRET_TITLE} <= set(by_title)
    pa = by_title["政府採購法"]
    assert pa["is_current"] and pa["amended"] and pa["n_chunks"] > 0 and pa["file"] == "procurement-act.json"


# --- drafting ---------------------------------------------------------------------------------------
def test_draft_memo_markdown_and_docx_download(client: TestClient) -> None:
    r = client.post("/v1/draft", json={"kind": "memo", "fields": {"主旨": "擬辦理市政大樓AED年度檢查採購，簽請核示。"}},
                    headers=H("staff"))
    assert r.status_code == 200, r.text
    d = r.json()
    assert "擬辦理市政大樓AED年度檢查採購" in d["markdown"] and "說明" in d["missing_fields"]
    dl = client.get(d["docx_url"], headers=H("staff"))
    assert dl.status_code == 200 and dl.headers["content-type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(dl.content)) as z:
        assert "AED" in z.read("word/document.xml").decode("utf-8")
    assert_error(client.get(d["docx_url"], headers=H("staff2")), 404, "not_found")  # another key
    assert client.get(d["docx_url"], headers=H("admin")).status_code == 200
    assert_error(client.get(d["docx_url"], headers=H("hotline")), 403, "forbidden")
    assert_error(client.get("/v1/draft/../../etc.docx", headers=H("admin")), 404, "not_found")


def test_draft_tender_notice_from_a_records_case(client: TestClient) -> None:
    case_no = client.get("/v1/cases", params={"limit": 1}, headers=H("staff")).json()[0]["case_no"]
    d = client.post("/v1/draft", json={"kind": "tender_notice", "case_no": case_no,
                                       "fields": {"開標地點": "本府秘書處採購室"}}, headers=H("staff")).json()
    assert case_no in d["markdown"] and "本府秘書處採購室" in d["markdown"]
    same = client.post("/v1/draft", json={"kind": "tender_instructions", "case_no": case_no,
                                          "fields": {"開標地點": "本府秘書處採購室"}}, headers=H("staff")).json()
    assert same["kind"] == "tender_instructions" and same["markdown"] == d["markdown"]  # tender_notice is an alias
    assert_error(client.post("/v1/draft", json={"kind": "tender_notice", "case_no": "NO-SUCH"}, headers=H("staff")),
                 404, "not_found")
    assert_error(client.post("/v1/draft", json={"kind": "letter", "fields": {"火星欄位": 1}}, headers=H("staff")),
                 422, "invalid_request")
    assert_error(client.post("/v1/draft", json={"kind": "poem"}, headers=H("staff")), 422, "invalid_request")


# --- records -----------------------------------------------------------------------------------------
def test_records_routes(client: TestClient) -> None:
    cases = client.get("/v1/cases", params={"category": "工程", "limit": 5}, headers=H("staff")).json()
    assert cases and all(c["category"] == "工程" for c in cases)
    detail = client.get(f"/v1/cases/{cases[0]['case_no']}", headers=H("staff")).json()
    assert detail["case_no"] == cases[0]["case_no"] and "events" in detail
    assert_error(client.get("/v1/cases/NO-SUCH", headers=H("staff")), 404, "not_found")
    rep = client.get("/v1/reports/failed-tenders", params={"group_by": "unit"}, headers=H("staff")).json()
    assert rep["group_by"] == "unit"
    assert_error(client.get("/v1/reports/failed-tenders", params={"group_by": "x"}, headers=H("staff")),
                 422, "invalid_request")
    err = assert_error(client.get("/v1/cases", params={"date_from": "不是日期"}, headers=H("staff")),
                       422, "invalid_request")
    assert err["details"][0]["field"] == "date_from"
    v = client.get("/v1/vendors/check", params={"q": "06189352"}, headers=H("hotline")).json()
    assert v["query"] == "06189352" and v["found"] is True
    assert_error(client.get("/v1/vendors/check", params={"q": "12345678"}, headers=H("hotline")), 422, "invalid_request")
    assert isinstance(client.get("/v1/retention", params={"q": "採購"}, headers=H("staff")).json(), list)
    bs = client.get("/v1/building-safety", params={"on": "2026-01-01"}, headers=H("staff")).json()
    assert bs["on"] == "2026-01-01" and "aeds" in bs
    assert client.get("/v1/seed-teachers", params={"district": "西屯"}, headers=H("hotline")).status_code == 200


# --- hotline consultations ---------------------------------------------------------------------------
def test_consultations_create_list_counts_and_csv(client: TestClient) -> None:
    from datetime import date, timedelta

    d = date.today() - timedelta(days=1)  # a call logged the next day (within the back-dating window)
    body = {"occurred_at": f"{d.isoformat()}T10:15:00", "caller_agency": "臺中市政府建設局", "category": "招標",
            "question": "未達公告金額的工程等標期最少幾天？", "answer": "不得少於7日。",
            "citations": [{"title": "招標期限標準", "no": "2"}]}
    r = client.post("/v1/consultations", json=body, headers=H("hotline"))
    assert r.status_code == 201, r.text
    ref = r.json()["ref"]
    assert ref.startswith(f"Q{d:%Y%m%d}-") and r.json()["handled_by"] == "採購專線"  # a display name, no key id
    day = client.get("/v1/consultations", params={"day": d.isoformat()}, headers=H("hotline")).json()
    assert ref in [x["ref"] for x in day]
    roc = f"{d.year - 1911}.{d.month:02d}.{d.day:02d}"
    counts = client.get("/v1/consultations/counts", params={"day": roc}, headers=H("admin")).json()
    assert counts["by_category"]["招標"] >= 1 and counts["total"] == len(day)
    csv = client.get("/v1/consultations/export.csv", params={"date_from": d.isoformat(), "date_to": d.isoformat()},
                     headers=H("hotline"))
    assert csv.headers["content-type"].startswith("text/csv") and "attachment" in csv.headers["content-disposition"]
    assert csv.text.startswith("\ufeffref,") and ref in csv.text and "臺中市政府建設局" in csv.text
    err = assert_error(client.post("/v1/consultations", json=body | {"category": "聊天"}, headers=H("hotline")),
                       422, "invalid_request")
    assert err["details"][0]["field"] == "category"


# --- feedback ----------------------------------------------------------------------------------------
def test_feedback_is_stored_durably(env: dict[str, Any], client: TestClient) -> None:
    fb = {"conversation_id": None, "question": "押標金上限？", "answer": "…", "thumbs": "down",
          "citations": [{"title": "押標金保證金暨其他擔保作業辦法", "no": "9"}], "comment": "沒有回答比例"}
    r = client.post("/v1/feedback", json=fb, headers=H("staff"))
    assert r.status_code == 201, r.text
    eng = create_engine(env["settings"].audit_db_url)
    with eng.connect() as conn:
        row = conn.execute(text("SELECT * FROM api_feedback WHERE id = :i"), {"i": r.json()["id"]}).mappings().one()
    eng.dispose()
    assert row["thumbs"] == "down" and row["comment"] == "沒有回答比例" and row["role"] == "staff"
    assert json.loads(row["citations"]) == fb["citations"]
    listed = client.get("/v1/feedback", params={"thumbs": "down"}, headers=H("admin")).json()
    assert r.json()["id"] in [x["id"] for x in listed]
    assert_error(client.post("/v1/feedback", json=fb | {"thumbs": "meh"}, headers=H("staff")), 422, "invalid_request")
    # feedback names only the caller's own conversation (review, section 1: any conversation_id was taken)
    cid = client.post("/v1/ask", json={"question": "押標金上限？"}, headers=H("staff")).json()["conversation_id"]
    assert client.post("/v1/feedback", json=fb | {"conversation_id": cid}, headers=H("staff")).status_code == 201
    assert_error(client.post("/v1/feedback", json=fb | {"conversation_id": cid}, headers=H("hotline")), 404, "not_found")
    assert_error(client.post("/v1/feedback", json=fb | {"conversation_id": "nope"}, headers=H("staff")), 404, "not_found")


# --- audit -------------------------------------------------------------------------------------------
def test_audit_records_refusals_and_search_hits(env: dict[str, Any], client: TestClient) -> None:
    client.get("/v1/search", params={"q": "檔案 保存"}, headers={"Authorization": "Bearer wrong-key"})
    hits = client.get("/v1/search", params={"q": "檔案 保存", "k": 3}, headers=H("hotline")).json()
    rows = [r for r in audit_rows(env, "/v1/search") if r["query"] and "k=3" in r["query"]]
    refused = [r for r in audit_rows(env, "/v1/search") if r["status"] == 401]
    assert refused and refused[-1]["role"] is None and refused[-1]["error_code"] == "unauthorized"
    assert "wrong-key" not in json.dumps(refused[-1], default=str)
    last = rows[-1]
    assert last["role"] == "hotline" and last["status"] == 200 and last["latency_ms"] >= 0
    assert [(c["title"], c["no"]) for c in json.loads(last["citations"])] == [(h["title"], h["no"]) for h in hits]


def test_audit_failure_keeps_the_response_and_is_logged(env: dict[str, Any], tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    from mishu.api.app import create_app

    settings = env["settings"].model_copy(update={"audit_url": f"sqlite:///{tmp_path / 'audit.sqlite3'}"})
    app = create_app(settings, container=env["container"])
    eng = create_engine(settings.audit_db_url)
    with eng.begin() as conn:
        conn.execute(text("DROP TABLE api_audit"))
    eng.dispose()
    with TestClient(app) as c2, caplog.at_level(logging.ERROR, logger="mishu.api.audit"):
        r = c2.get("/v1/documents", headers=H("staff"))
    assert r.status_code == 200 and r.json()
    assert any("audit write failed" in rec.getMessage() for rec in caplog.records)


def test_an_unexpected_error_is_a_json_500_and_audited(env: dict[str, Any], tmp_path: Path) -> None:
    from mishu.api.app import create_app
    from mishu.app import Container

    settings = env["settings"].model_copy(update={"records_url": f"sqlite:///{tmp_path / 'rec.sqlite3'}",
                                                  "audit_url": f"sqlite:///{tmp_path / 'audit.sqlite3'}"})
    broken = Container(settings)
    with broken.records_engine.begin() as conn:  # a damaged records store
        conn.execute(text("DROP TABLE rec_procurement_cases"))
    c2 = TestClient(create_app(container=broken), raise_server_exceptions=False)  # no lifespan: no warm-up
    r = c2.get("/v1/cases", headers=H("staff"))
    assert_error(r, 500, "internal_error")
    assert "rec_procurement_cases" not in r.text  # no internals leak
    eng = create_engine(settings.audit_db_url)
    with eng.connect() as conn:
        row = conn.execute(text("SELECT status, error_code FROM api_audit WHERE path = '/v1/cases'")).one()
    eng.dispose()
    assert tuple(row) == (500, "internal_error")


# --- admin -------------------------------------------------------------------------------------------
def wait_job(client: TestClient, job_id: str, timeout: float = 30) -> dict[str, Any]:
    end = time.monotonic() + timeout
    while True:
        job = client.get(f"/v1/admin/ingest/{job_id}", headers=H("admin")).json()
        if job["state"] in ("done", "failed") or time.monotonic() > end:
            return job
        time.sleep(0.1)


def test_admin_reindex_job_runs_in_background_with_progress(client: TestClient) -> None:
    r = client.post("/v1/admin/ingest", headers=H("admin"))
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["id"])
    assert job["state"] == "done", job
    assert job["report"]["failed"] == [] and job["summary"].startswith("新增")
    assert r.json()["id"] in [j["id"] for j in client.get("/v1/admin/ingest", headers=H("admin")).json()]
    assert_error(client.get("/v1/admin/ingest/nope", headers=H("admin")), 404, "not_found")


def test_a_second_ingest_while_one_runs_is_409_and_dead_jobs_show_failed(env: dict[str, Any],
                                                                         client: TestClient) -> None:
    from datetime import timedelta

    from mishu.api.db import utcnow

    jobs = env["client"].app.state.services.jobs
    jid = jobs.create("k-test", [env["src"]])
    jobs.update(jid, state="running")
    try:
        assert_error(client.post("/v1/admin/ingest", headers=H("admin")), 409, "ingest_running")
        # a job that stopped reporting (its worker died) is shown as failed and no longer blocks
        eng = jobs.engine
        with eng.begin() as conn:
            conn.execute(text("UPDATE api_ingest_jobs SET updated_at = :t WHERE id = :i"),
                         {"t": utcnow() - timedelta(hours=1), "i": jid})
        stale = client.get(f"/v1/admin/ingest/{jid}", headers=H("admin")).json()
        assert stale["state"] == "failed" and "中斷" in stale["error"]
        assert jobs.active() is None
    finally:
        jobs.update(jid, state="failed", error="test")


def test_admin_upload_validates_ingests_and_never_overwrites_silently(env: dict[str, Any], client: TestClient) -> None:
    md = ("---\ntitle: 秘書處青銅會議室借用須知\ndomain: plan\nunit: section\n---\n\n# 秘書處青銅會議室借用須知\n\n"
          "## 一、借用\n\n青銅會議室借用應於三日前登記。\n").encode()
    r = client.post("/v1/admin/upload", files=[("files", ("../青銅會議室.md", md, "text/markdown"))],
                    data={"access_level": "public"}, headers=H("admin"))
    assert r.status_code == 201, r.text
    assert r.json()["saved"] == ["青銅會議室.md"]
    job = wait_job(client, r.json()["job"]["id"])
    assert job["state"] == "done" and job["uploaded"] == ["青銅會議室.md"], job
    saved = Path(env["settings"].data_dir) / "uploads" / "青銅會議室.md"
    assert saved.read_bytes() == md
    hits = client.get("/v1/search", params={"q": "青銅會議室 借用", "k": 3}, headers=H("hotline")).json()
    assert hits[0]["title"] == "秘書處青銅會議室借用須知"
    art = client.get(f"/v1/articles/{hits[0]['title']}/{hits[0]['no']}", headers=H("hotline"))
    assert art.status_code == 200 and "三日前登記" in art.json()["text"]
    # same content again: unchanged, no job
    again = client.post("/v1/admin/upload", files=[("files", ("青銅會議室.md", md, "text/markdown"))],
                        headers=H("admin")).json()
    assert again["unchanged"] == ["青銅會議室.md"] and again["job"] is None
    # different content, same name: refused unless replace=true
    changed = md.replace("三日".encode(), "五日".encode())
    assert_error(client.post("/v1/admin/upload", files=[("files", ("青銅會議室.md", changed, "text/markdown"))],
                             headers=H("admin")), 409, "file_exists")
    assert saved.read_bytes() == md
    r = client.post("/v1/admin/upload", files=[("files", ("青銅會議室.md", changed, "text/markdown"))],
                    data={"replace": "true", "ingest": "false"}, headers=H("admin"))
    assert r.status_code == 201 and r.json()["job"] is None and saved.read_bytes() == changed
    # bad type, too large, empty
    assert_error(client.post("/v1/admin/upload", files=[("files", ("x.exe", b"MZ", "application/octet-stream"))],
                             headers=H("admin")), 415, "unsupported_media_type")
    from mishu.api.app import create_app

    small = create_app(env["settings"].model_copy(update={"max_file_mb": 0.05}), container=env["container"])
    with TestClient(small) as c_small:
        assert_error(c_small.post("/v1/admin/upload", files=[("files", ("big.txt", b"a" * 60_000, "text/plain"))],
                                  headers=H("admin")), 413, "payload_too_large")
    assert_error(client.post("/v1/admin/upload", files=[("files", ("empty.txt", b"", "text/plain"))],
                             headers=H("admin")), 422, "invalid_request")
    assert not (saved.parent / "big.txt").exists() and not (saved.parent / "x.exe").exists()


@pytest.mark.parametrize("raw,safe", [("../青銅會議室.md", "青銅會議室.md"), ("C:\\tmp\\規則.PDF", "規則.pdf"),
                                      ("x:y?.txt", "x_y_.txt"), (".hidden.md", "hidden.md")])
def test_upload_names_are_reduced_to_a_safe_file_name(raw: str, safe: str) -> None:
    from mishu.api.routers.admin import safe_name

    assert safe_name(raw) == safe


def test_admin_eval_report_serves_the_latest(env: dict[str, Any], client: TestClient) -> None:
    root = Path(env["settings"].data_dir) / "eval"
    report = {"schema": 2, "environment": {"git_commit": "abc1234"}, "tolerances": {"retrieval.hit@5": 0.02},
              "splits": {"dev": {"headline": {"retrieval.hit@5": 0.9}, "families": {}, "items": []},
                         "test": {"headline": {"retrieval.hit@5": 0.8}, "families": {}}},
              "headline": {"dev": {"retrieval.hit@5": 0.9}, "test": {"retrieval.hit@5": 0.8}}}
    (root / "run-1").mkdir(parents=True)
    (root / "run-1" / "report.json").write_text(json.dumps(report), encoding="utf-8")
    time.sleep(0.05)
    (root / "run-2").mkdir()  # newer, but not an evaluation report: skipped
    (root / "run-2" / "report.json").write_text(json.dumps({"retrieval": {"recall@10": 0.9}}), encoding="utf-8")
    r = client.get("/v1/admin/eval-report", headers=H("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["path"].endswith("run-1/report.json")
    served = {k: v for k, v in r.json()["report"].items() if v is not None}  # + typed defaults (gate: null)
    assert served == report  # typed on the way, nothing lost


# --- several workers ---------------------------------------------------------------------------------
def test_a_second_worker_sees_conversations_jobs_and_feedback(env: dict[str, Any], client: TestClient) -> None:
    """Two apps, each with its own Container over the same data dir, behave as one service."""
    from mishu.api.app import create_app
    from mishu.app import Container

    first = client.post("/v1/ask", json={"question": "公告金額以上的工程等標期幾天？"}, headers=H("staff")).json()
    job = client.post("/v1/admin/ingest", headers=H("admin")).json()
    wait_job(client, job["id"])
    worker2 = create_app(container=Container(env["settings"]))
    with TestClient(worker2) as c2:
        r = c2.post("/v1/ask", json={"question": "那押標金呢？", "conversation_id": first["conversation_id"]},
                    headers=H("staff"))
        assert r.status_code == 200, r.text
        turns = c2.get(f"/v1/conversations/{first['conversation_id']}", headers=H("staff")).json()["turns"]
        assert len(turns) == 2
        assert c2.get(f"/v1/admin/ingest/{job['id']}", headers=H("admin")).json()["state"] == "done"


PG_URL = os.environ.get("MISHU_TEST_PG_URL")  # e.g. postgresql+psycopg://user@/db?host=/tmp/pg (disposable DB)


@pytest.mark.skipif(not PG_URL, reason="set MISHU_TEST_PG_URL (a disposable PostgreSQL database) to run")
def test_audit_feedback_and_jobs_on_postgresql(env: dict[str, Any]) -> None:
    from mishu.api.app import create_app

    assert PG_URL is not None
    eng = create_engine(PG_URL)
    with eng.begin() as conn:
        for t in ("api_audit", "api_feedback", "api_ingest_jobs"):
            conn.execute(text(f"DROP TABLE IF EXISTS {t}"))
    app = create_app(env["settings"].model_copy(update={"audit_url": PG_URL}), container=env["container"])
    with TestClient(app) as c2:
        hits = c2.get("/v1/search", params={"q": "押標金", "k": 2}, headers=H("staff")).json()
        fb = c2.post("/v1/feedback", json={"question": "q", "answer": "a", "thumbs": "up",
                                           "citations": [{"title": "政府採購法", "no": "30"}]}, headers=H("staff"))
        assert fb.status_code == 201
        job = c2.post("/v1/admin/ingest", headers=H("admin")).json()
        assert wait_job(c2, job["id"])["state"] == "done"
    with eng.connect() as conn:
        row = conn.execute(text("SELECT role, citations FROM api_audit WHERE path = '/v1/search'")).one()
        assert row[0] == "staff" and [c["no"] for c in row[1]] == [h["no"] for h in hits]
        assert conn.execute(text("SELECT thumbs FROM api_feedback")).scalar_one() == "up"
        assert conn.execute(text("SELECT state FROM api_ingest_jobs")).scalar_one() == "done"
    eng.dispose()
