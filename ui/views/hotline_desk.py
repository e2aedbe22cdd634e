"""諮詢專線：intake, a suggested answer with citations and computed figures, one-click logging, today's log."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pandas as pd
import streamlit as st

from ui.client import Answer, Citation, Consultation, MishuClient
from ui.common import call, citation_label, client_for, page_header, render_citations, render_tool_calls

ROLE: Literal["hotline"] = "hotline"
CATEGORIES = ["招標", "決標", "履約", "驗收", "爭議", "其他"]
ss = st.session_state


def intake(client: MishuClient) -> None:
    with st.form("hotline_intake"):
        c1, c2 = st.columns([3, 1])
        agency = c1.text_input("來電機關", key="hl_agency", placeholder="例：臺中市政府建設局")
        category = c2.selectbox("類別", CATEGORIES, key="hl_category")
        question = st.text_area("問題", key="hl_question", placeholder="例：預算300萬元的財物採購，等標期最少幾天？")
        submitted = st.form_submit_button("建議回覆", type="primary")
    if not submitted:
        return
    missing = [name for name, v in (("來電機關", agency), ("問題", question)) if not (v or "").strip()]
    if missing:
        st.error("請填寫：" + "、".join(missing))
        return
    with st.spinner("檢索條文與計算中…"):
        answer = call(lambda: client.ask(question.strip()), ROLE)
    if answer is not None:
        ss["hl_case"] = {"agency": agency.strip(), "category": category, "question": question.strip(),
                         "answer": answer}
        ss["hl_reply"] = answer.answer
        ss["hl_follow"] = False


def suggestion(client: MishuClient) -> None:
    case: dict[str, Any] | None = ss.get("hl_case")
    if not case:
        return
    answer: Answer = case["answer"]
    st.subheader("建議回覆")
    st.caption(f"{case['agency']}・{case['category']}：{case['question']}")
    if answer.refused:
        st.warning("知識庫沒有足夠依據，建議轉請主管機關或相關單位釋示。", icon=":material/info:")
    render_tool_calls(answer.tool_calls, key_prefix="hl")
    with st.container(border=True):
        st.markdown(answer.answer.replace("\n", "  \n"))
    render_citations(client, answer.citations, key_prefix="hl", role=ROLE)
    reply = st.text_area("回覆內容（記錄前可修改）", key="hl_reply", height=220)
    follow = st.checkbox("需要後續追蹤", key="hl_follow")
    note = st.text_input("追蹤說明", key="hl_follow_note") if follow else ""
    if st.button("記錄本次諮詢", type="primary", key="hl_log"):
        if not (reply or "").strip():
            st.error("回覆內容不可空白。")
            return
        rec = call(lambda: client.log_consultation(
            caller_agency=case["agency"], category=case["category"], question=case["question"],
            answer=reply.strip(), citations=answer.citations, follow_up=follow, follow_up_note=note), ROLE)
        if rec is not None:
            ss["hl_flash"] = f"已記錄本次諮詢（編號 {rec.ref or '—'}，{case['agency']}・{case['category']}）。"
            del ss["hl_case"]
            st.rerun()


def _cite_text(cites: list[dict[str, Any]]) -> str:
    labels = []
    for c in cites:
        try:
            labels.append(citation_label(Citation.model_validate({"quote": "", **c})))
        except ValueError:
            continue
    return "、".join(labels)


def log_table(rows: list[Consultation]) -> pd.DataFrame:
    return pd.DataFrame([{
        "時間": r.occurred_at.replace("T", " ")[:16], "編號": r.ref or "", "來電機關": r.caller_agency,
        "類別": r.category, "問題": r.question, "回覆": r.answer, "引用條文": _cite_text(r.citations),
        "追蹤": "是" if r.follow_up else "", "承辦": r.handled_by or "", "範例": "是" if r.sample else "",
    } for r in rows])


def today_log(client: MishuClient) -> None:
    today = date.today()
    st.subheader(f"今日紀錄（{today.isoformat()}）")
    counts = call(lambda: client.consultation_counts(today), ROLE)
    rows = call(lambda: client.consultations(today), ROLE)
    if counts is not None:
        m = st.columns(3)
        m[0].metric("今日件數", counts.total)
        m[1].metric("需追蹤", counts.follow_up)
        top = max(counts.by_category.items(), key=lambda kv: kv[1], default=("—", 0))
        m[2].metric("最多類別", top[0] if top[1] else "—")
        if counts.total:
            df = pd.DataFrame({"類別": list(counts.by_category), "件數": list(counts.by_category.values())})
            st.bar_chart(df, x="類別", y="件數", horizontal=True, sort=False, height=220)
    if rows is None:
        return
    if not rows:
        st.info("今天還沒有諮詢紀錄。")
        return
    st.dataframe(log_table(rows), hide_index=True, key="hl_today_table")
    csv = call(lambda: client.consultations_csv(today), ROLE)
    if csv is not None:
        st.download_button("匯出今日紀錄 CSV", data=csv, file_name=f"諮詢紀錄-{today.isoformat()}.csv",
                           mime="text/csv", key="hl_export")


def main() -> None:
    page_header("諮詢專線", ROLE, "來電登錄、建議回覆（附條文與計算結果）、今日紀錄")
    client = client_for(ROLE)
    if client is None:
        st.stop()
        return
    flash = ss.pop("hl_flash", None)
    if flash:
        st.success(flash, icon=":material/check_circle:")
    intake(client)
    suggestion(client)
    st.divider()
    today_log(client)


main()
