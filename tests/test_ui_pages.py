"""The Streamlit pages driven headlessly with streamlit.testing AppTest against the REAL API.

The API is the real FastAPI app (uvicorn on a free loopback port) over a real index of three shipped laws
and the 範例 records; the pages reach it over HTTP exactly as in production (MISHU_UI_* variables), after
signing in through the real login (a real accounts file). The login itself is in test_ui_auth.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest_ui import (
    UI_APP,
    UI_KEYS,
    UI_USERS,
    RunningApi,
    free_port,
    make_data_dir,
    make_users_file,
    running_api,
    ui_environ,
)
from streamlit.testing.v1 import AppTest

TIMEOUT = 60


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    data = make_data_dir(tmp_path_factory.mktemp("ui-pages") / "data")
    with running_api(data) as running:
        yield running


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_users_file(tmp_path_factory.mktemp("ui-pages-users") / "users.json")


@pytest.fixture
def ui_env(api: RunningApi, users_file: Path, monkeypatch: pytest.MonkeyPatch) -> RunningApi:
    for name, value in ui_environ(api.url, users_file).items():
        monkeypatch.setenv(name, value)
    return api


def sign_in(at: AppTest, role: str) -> AppTest:
    user, password = UI_USERS[role]
    at.text_input[0].input(user)
    at.text_input[1].input(password)
    at.button(key="FormSubmitter:login-登入").click().run()
    assert not at.exception, at.exception
    return at


def open_page(page: str | None = None, role: str | None = None) -> AppTest:
    """Sign in (as the page's role unless given) and open the page (the role's home page when None)."""
    role = role or {"hotline_desk.py": "hotline", "knowledge_admin.py": "admin"}.get(page or "", "staff")
    at = sign_in(AppTest.from_file(str(UI_APP), default_timeout=TIMEOUT).run(), role)
    if page:
        at.switch_page(f"views/{page}").run()
        assert not at.exception, at.exception
    return at


def texts(elements: Any) -> list[str]:
    return [str(e.value) for e in elements]


def is_citation(label: str) -> bool:
    """Citation expanders end with the amended date: 「招標期限標準第2條第2項（2009-08-31 修正）」."""
    return label.rstrip("・範例節錄 ").endswith(("修正）", "修正日期不詳）"))


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first rendered dataframe that has these columns."""
    for df in at.dataframe:
        frame = df.value
        if set(columns) <= set(frame.columns):
            return frame
    raise AssertionError(f"no dataframe with columns {columns}")


# --- 同仁問答 -------------------------------------------------------------------------------------------
def test_chat_streams_answer_with_citations_full_article_and_feedback(ui_env: RunningApi) -> None:
    at = open_page()
    assert texts(at.title) == ["同仁問答"]
    question = "公告金額以上未達查核金額的採購等標期幾天"
    at.chat_input(key="chat_input").set_value(question).run()
    assert not at.exception, at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    answer_md = " ".join(texts(at.chat_message[1].markdown))
    assert "十四日" in answer_md or "14日" in answer_md
    labels = [e.label for e in at.expander]
    cite_labels = [x for x in labels if is_citation(x)]
    assert any("招標期限標準第2條" in x for x in cite_labels), labels
    assert all("修正" in x for x in cite_labels)  # every citation shows its amended date

    # load the full article of the 招標期限標準 citation
    idx = next(i for i, x in enumerate(cite_labels) if "招標期限標準第2條" in x)
    exp = [e for e in at.expander if is_citation(e.label)][idx]
    exp.button[0].click().run()
    assert not at.exception, at.exception
    assert any("公告金額以上未達查核金額之採購：十四日" in t for t in texts(at.text)), texts(at.text)

    # thumbs down with a comment -> stored by the API with the question, answer and citations
    at.feedback(key="fb_thumbs_1").set_value(0)
    at.text_input(key="fb_comment_1").set_value("希望列出電子領標可縮短的日數")
    at.button(key="fb_send_1").click().run()
    assert not at.exception, at.exception
    assert any("已送出回饋" in c for c in texts(at.caption))
    stored = [f for f in ui_env.get("/v1/feedback") if f["question"] == question]
    assert len(stored) == 1
    assert stored[0]["thumbs"] == "down" and stored[0]["comment"] == "希望列出電子領標可縮短的日數"
    assert {"title": "招標期限標準", "no": "2"} in stored[0]["citations"]

    # a follow-up question goes to the same conversation and the page keeps both turns
    cid = at.session_state["chat_conversation_id"]
    assert cid
    at.chat_input(key="chat_input").set_value("那查核金額以上未達巨額的採購呢").run()
    assert not at.exception, at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant", "user", "assistant"]
    assert at.session_state["chat_conversation_id"] == cid
    turns = ui_env.get(f"/v1/conversations/{cid}", role="staff")["turns"]
    assert len(turns) == 2
    assert "二十一日" in " ".join(texts(at.chat_message[3].markdown))


def test_feedback_needs_a_thumb_first(ui_env: RunningApi) -> None:
    at = open_page()
    at.chat_input(key="chat_input").set_value("押標金上限").run()
    before = len(ui_env.get("/v1/feedback"))
    at.button(key="fb_send_1").click().run()
    assert any("請先點選" in w for w in texts(at.warning))
    assert len(ui_env.get("/v1/feedback")) == before


def test_chat_three_turns_with_an_inherited_fact_and_a_correction(ui_env: RunningApi) -> None:
    at = open_page()
    at.chat_input(key="chat_input").set_value("預算250萬元的勞務採購，等標期幾天？").run()
    assert not at.exception, at.exception
    at.chat_input(key="chat_input").set_value("押標金最多可以收多少？").run()  # inherits 250萬、勞務
    assert not at.exception, at.exception
    second = " ".join(texts(at.chat_message[3].markdown))
    assert "免收" in second and "12萬5,000元" in second and "沿用對話中的案情" in second
    at.chat_input(key="chat_input").set_value("不是勞務，是工程").run()
    assert not at.exception, at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant"] * 3
    third = " ".join(texts(at.chat_message[5].markdown))
    assert "勞務 → 工程" in third and "應收押標金" in third and "12萬5,000元" in third
    answers = [m["answer"] for m in at.session_state["chat_messages"] if m["role"] == "assistant"]
    assert len({a.conversation_id for a in answers}) == 1
    assert answers[2].facts == {"amount": 2_500_000, "category": "工程"}


def test_draft_letter_shows_markdown_missing_fields_and_docx(ui_env: RunningApi) -> None:
    at = open_page()
    at.selectbox(key="draft_kind").set_value("函")
    at.text_area(key="draft_fields").set_value("受文者：臺中市政府各機關\n主旨：轉知政府採購法修正條文，請查照。")
    at.button(key="FormSubmitter:draft_form-產生草稿").click().run()
    assert not at.exception, at.exception
    assert any("函草稿" in m for m in texts(at.markdown))
    body = " ".join(texts(at.markdown))
    assert "轉知政府採購法修正條文" in body
    assert any(w.startswith("待補欄位") for w in texts(at.warning)) or any("沒有待補欄位" in s for s in texts(at.success))
    assert len(at.download_button) == 1
    docx = at.session_state["draft_result"][2]
    assert docx[:2] == b"PK"  # a real .docx (zip) fetched from /v1/draft/{id}.docx


def test_draft_tender_notice_from_sample_case_lists_missing_fields(ui_env: RunningApi) -> None:
    case_no = ui_env.get("/v1/cases?limit=1", role="admin")[0]["case_no"]
    at = open_page()
    at.selectbox(key="draft_kind").set_value("投標須知")
    at.text_input(key="draft_case_no").set_value(case_no)
    at.button(key="FormSubmitter:draft_form-產生草稿").click().run()
    assert not at.exception, at.exception
    result = at.session_state["draft_result"][1]
    assert result.kind == "tender_instructions" and result.markdown
    if result.missing_fields:
        assert any("、".join(result.missing_fields) in w for w in texts(at.warning))


def test_draft_rejects_malformed_field_lines_without_calling_the_api(ui_env: RunningApi) -> None:
    at = open_page()
    at.selectbox(key="draft_kind").set_value("簽")
    at.text_area(key="draft_fields").set_value("主旨：擬辦理AED年度檢查\n這一行沒有冒號")
    at.button(key="FormSubmitter:draft_form-產生草稿").click().run()
    errors = texts(at.error)
    assert any("第 2 行" in e and "草稿未送出" in e for e in errors), errors
    assert "draft_result" not in at.session_state


# --- 諮詢專線 -------------------------------------------------------------------------------------------
def test_hotline_suggests_answer_with_figures_and_logs_consultation(ui_env: RunningApi) -> None:
    at = open_page("hotline_desk.py")
    assert texts(at.title) == ["諮詢專線"]
    at.text_area(key="hl_question").set_value("預算300萬元的財物採購，等標期最少幾天？押標金最多多少？")
    at.button(key="FormSubmitter:hotline_intake-建議回覆").click().run()
    assert not at.exception, at.exception
    # the suggested answer comes before any agency is typed, with a spoken reply above the quotes
    assert at.text_input(key="hl_agency").value == ""
    figures = texts(at.success)
    assert any("等標期" in f and "14日" in f for f in figures), figures
    assert any("押標金" in f and "15萬元" in f for f in figures), figures
    spoken = texts(at.info)
    assert any("依據是" in x and "300萬元" in x for x in spoken), spoken
    assert any(is_citation(e.label) and "招標期限標準" in e.label for e in at.expander)
    reply = at.text_area(key="hl_reply").value or ""
    assert "14日" in reply or "十四日" in reply

    # logging needs the agency: without it nothing is logged
    today = date.today().isoformat()
    before = len(ui_env.get(f"/v1/consultations?day={today}", role="hotline"))
    at.button(key="hl_log").click().run()
    assert any("來電機關" in e for e in texts(at.error)), texts(at.error)
    assert len(ui_env.get(f"/v1/consultations?day={today}", role="hotline")) == before

    agency = "（測試）臺中市政府建設局"
    at.text_input(key="hl_agency").set_value(agency)
    at.selectbox(key="hl_category").set_value("招標")
    at.button(key="hl_log").click().run()
    assert not at.exception, at.exception
    assert any("已記錄本次諮詢" in s for s in texts(at.success))
    table = at.dataframe[0].value
    assert agency in table["來電機關"].tolist()
    assert "hl_case" not in at.session_state  # the form is cleared after logging

    logged = [c for c in ui_env.get(f"/v1/consultations?day={today}", role="hotline") if c["caller_agency"] == agency]
    assert len(logged) == 1
    assert logged[0]["category"] == "招標" and logged[0]["answer"] == reply.strip()
    assert {"title": "招標期限標準", "no": "2"} in logged[0]["citations"]
    counts = ui_env.get(f"/v1/consultations/counts?day={today}", role="hotline")
    assert counts["by_category"]["招標"] >= 1
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["今日件數"]) == counts["total"]


def test_hotline_case_facts_strip_recomputes_and_follow_up_continues(ui_env: RunningApi) -> None:
    at = open_page("hotline_desk.py")
    at.text_area(key="hl_question").set_value("押標金最多可以收多少？")
    at.button(key="FormSubmitter:hotline_intake-建議回覆").click().run()
    assert not at.exception, at.exception
    first = at.session_state["hl_case"]["answer"]
    assert first.clarify  # no amount yet: the desk is told what to ask
    cid = first.conversation_id
    # the desk types the facts the caller gives into the strip; the answer recomputes
    at.number_input(key="hl_f_amount").set_value(3_000_000)
    at.selectbox(key="hl_f_category").set_value("工程")
    at.button(key="FormSubmitter:hl_facts_form-以此案情重新計算").click().run()
    assert not at.exception, at.exception
    answer = at.session_state["hl_case"]["answer"]
    assert answer.facts == {"amount": 3_000_000, "category": "工程"} and answer.conversation_id == cid
    assert any("押標金" in f and "15萬元" in f for f in texts(at.success))
    # the caller's follow-up continues the same conversation with the same case
    at.text_input(key="hl_follow_up").set_value("不是工程，是勞務")
    at.button(key="FormSubmitter:hl_follow_up_form-追問").click().run()
    assert not at.exception, at.exception
    after = at.session_state["hl_case"]["answer"]
    assert after.conversation_id == cid and after.facts == {"amount": 3_000_000, "category": "勞務"}
    assert "工程 → 勞務" in after.answer and "免收" in after.answer


def test_hotline_intake_requires_a_question(ui_env: RunningApi) -> None:
    at = open_page("hotline_desk.py")
    at.button(key="FormSubmitter:hotline_intake-建議回覆").click().run()
    assert any("來電問題" in e for e in texts(at.error))
    assert "hl_case" not in at.session_state


def test_hotline_page_with_a_key_the_api_refuses_says_forbidden(ui_env: RunningApi,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISHU_UI_HOTLINE_KEY", UI_KEYS["staff"])
    at = open_page("hotline_desk.py")
    assert any("權限不足" in e for e in texts(at.error)), texts(at.error)


# --- 知識庫管理 -----------------------------------------------------------------------------------------
GOOD_MD = """---
title: 測試用秘書處採購作業注意事項
domain: procurement
unit: point
amended: 115.10.01
---

# 測試用秘書處採購作業注意事項

一、本注意事項為測試上傳流程而訂。

二、承辦人應於開標前三日確認藍鵲會議室已預約。
"""


def test_admin_lists_documents_and_reindexes_an_upload_with_progress(ui_env: RunningApi) -> None:
    at = open_page("knowledge_admin.py")
    assert texts(at.title) == ["知識庫管理"]
    docs = frame_with(at, "文件", "版本", "片段")
    assert {"政府採購法", "招標期限標準", "押標金保證金暨其他擔保作業辦法"} <= set(docs["文件"])
    row = docs[docs["文件"] == "政府採購法"].iloc[0]
    assert row["修正日期"] == "2019-05-22" and row["領域"] == "採購" and int(row["片段"]) > 0

    # a file whose domain cannot be inferred: the whole upload is refused up front, saying what to choose
    at.file_uploader(key="admin_files").set_value([
        ("ui-test-points.md", GOOD_MD.encode(), "text/markdown"),
        ("ui-test-nodomain.md", "# 沒有類別的文件\n\n內容一段。\n".encode(), "text/markdown"),
    ])
    at.run()
    at.button(key="admin_upload").click().run(timeout=120)
    assert not at.exception, at.exception
    assert any("ui-test-nodomain.md" in e and "domain" in e for e in texts(at.error)), texts(at.error)
    assert not (Path(ui_env.settings.data_dir) / "uploads" / "ui-test-points.md").exists()

    at.file_uploader(key="admin_files").set_value([("ui-test-points.md", GOOD_MD.encode(), "text/markdown")])
    at.run()
    at.button(key="admin_upload").click().run(timeout=120)
    assert not at.exception, at.exception
    assert any("已存入" in i and "ui-test-points.md" in i for i in texts(at.info))
    assert any(s.startswith("新增 1") for s in texts(at.success)), texts(at.success)
    docs = frame_with(at, "文件", "版本", "片段")  # redrawn after the job finished
    row = docs[docs["文件"] == "測試用秘書處採購作業注意事項"].iloc[0]
    assert row["存取"] == "限閱"  # the upload default
    uploads = frame_with(at, "檔案", "存取", "類別")
    assert uploads[uploads["檔案"] == "ui-test-points.md"].iloc[0]["存取"] == "限閱"

    # the admin makes it public: saved, re-indexed, shown
    at.selectbox(key="admin_edit_name").set_value("ui-test-points.md")
    at.selectbox(key="admin_edit_level").set_value("public")
    at.button(key="FormSubmitter:admin_upload_edit-儲存並重新索引").click().run(timeout=120)
    assert not at.exception, at.exception
    docs = frame_with(at, "文件", "版本", "片段")
    assert docs[docs["文件"] == "測試用秘書處採購作業注意事項"].iloc[0]["存取"] == "公開"


def test_admin_eval_report_charts(ui_env: RunningApi) -> None:
    folder = Path(ui_env.settings.data_dir) / "eval" / "ui-test"
    folder.mkdir(parents=True, exist_ok=True)
    report = {"schema": 1, "environment": {"git_commit": "abc1234", "date": "2026-11-27"},
              "headline": {"retrieval.hit@5": 0.91, "answers.citation_recall": 0.84, "refusal.f1": None},
              "families": {"retrieval": {"overall": {"hit@5": 0.91, "mrr@10": 0.8, "n": 120},
                                         "by_domain": {"procurement": {"hit@5": 0.95, "mrr@10": 0.85, "n": 80}}}},
              "gate": {"passed": False, "failures": ["retrieval.hit@5：下降 0.03"]}}
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    at = open_page("knowledge_admin.py")
    assert not at.exception, at.exception
    assert any("abc1234" in c for c in texts(at.caption))
    assert any("未通過" in e and "hit@5" in e for e in texts(at.error))
    table = frame_with(at, "hit@5", "mrr@10")
    assert list(table.index) == ["整體", "採購"] and float(table.loc["採購", "hit@5"]) == 0.95
    charts = at.get("vega_lite_chart")
    assert len(charts) == 2  # headline metrics + the retrieval family


def test_admin_eval_report_shows_dev_and_test_side_by_side(ui_env: RunningApi) -> None:
    folder = Path(ui_env.settings.data_dir) / "eval" / "ui-test-splits"
    folder.mkdir(parents=True, exist_ok=True)
    fam = {"retrieval": {"overall": {"hit@5": 0.9, "n": 10}, "by_domain": {}}}
    report = {"schema": 2, "environment": {"git_commit": "def5678"},
              "splits": {"dev": {"headline": {"retrieval.hit@5": 0.9}, "families": fam},
                         "test": {"headline": {"retrieval.hit@5": 0.8},
                                  "families": {"retrieval": {"overall": {"hit@5": 0.8, "n": 20}, "by_domain": {}}}}},
              "gate": {"passed": True, "failures": []}}
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    at = open_page("knowledge_admin.py")
    assert not at.exception, at.exception
    side = frame_with(at, "開發集（dev）", "凍結測試集（test）")
    assert float(side.loc["檢索・hit@5", "凍結測試集（test）"]) == 0.8
    assert float(frame_with(at, "hit@5", "n").loc["整體", "hit@5"]) == 0.9  # the first split's families
    at.selectbox(key="admin_eval_split").set_value("test").run(timeout=60)
    assert not at.exception, at.exception
    assert float(frame_with(at, "hit@5", "n").loc["整體", "hit@5"]) == 0.8


# --- errors -------------------------------------------------------------------------------------------
def test_unreachable_api_shows_a_clear_error(users_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ui_environ(f"http://127.0.0.1:{free_port()}", users_file).items():
        monkeypatch.setenv(name, value)
    at = open_page()
    at.chat_input(key="chat_input").set_value("押標金上限").run()
    assert not at.exception, at.exception
    assert any("無法連線" in e and "mishu up" in e for e in texts(at.error)), texts(at.error)


def test_wrong_key_and_missing_key(ui_env: RunningApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISHU_UI_ADMIN_KEY", "not-a-key-but-long-enough-000000")
    at = open_page("knowledge_admin.py")
    assert any("API 金鑰無效" in e and "MISHU_UI_ADMIN_KEY" in e for e in texts(at.error)), texts(at.error)
    monkeypatch.delenv("MISHU_UI_ADMIN_KEY")
    at = open_page("knowledge_admin.py")
    assert any("沒有管理者角色的 API 金鑰" in e for e in texts(at.error)), texts(at.error)
    assert len(at.dataframe) == 0


def test_a_page_never_uses_another_roles_key(ui_env: RunningApi, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a hotline key the hotline desk says so; it does not fall back to the staff key."""
    monkeypatch.delenv("MISHU_UI_HOTLINE_KEY")
    at = open_page("hotline_desk.py")
    assert any("沒有採購專線角色的 API 金鑰" in e for e in texts(at.error)), texts(at.error)
    assert not at.text_area  # no intake form
