"""諮詢專線 as a phone tool: the suggested answer before the caller's agency is typed (it is needed only to log), a
spoken-style reply above the quotes, a case-facts strip the desk can fill or correct (the answer recomputes),
the caller's follow-ups in the same conversation, earlier consultations on the same article, one-click logging
and today's log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from ui.auth import signed_in_user
from ui.client import Answer, Citation, Consultation, MishuClient
from ui.common import call, citation_label, client_for, page_header, render_citations, render_tool_calls
from ui.pages import page
from ui.render import answer_markdown
from ui.spoken import spoken_reply

PAGE = page("hotline_desk.py")
CATEGORIES = ["招標", "決標", "履約", "驗收", "爭議", "其他"]
UNKNOWN = "（未知）"
PROCUREMENT_CATEGORIES: list[str] = [UNKNOWN, "工程", "財物", "勞務"]
METHODS: list[str] = [UNKNOWN, "公開招標", "選擇性招標", "限制性招標", "公開取得報價單"]
FLAGS = {"e_tendering": "電子領投標", "urgent": "緊急情事", "retender": "流標後重行招標"}
ss = st.session_state


def ask(client: MishuClient, question: str, facts: dict[str, Any] | None = None) -> None:
    """Ask in the desk's conversation (a follow-up continues it); the answer needs no caller agency."""
    with st.spinner("檢索條文與計算中…"):
        answer = call(lambda: client.ask(question, ss.get("hl_conversation_id"), facts=facts), client.role)
    if answer is None:
        return
    ss["hl_conversation_id"] = answer.conversation_id or ss.get("hl_conversation_id")
    if answer.facts:
        ss["hl_facts"] = dict(answer.facts)
    ss["hl_case"] = {"question": question, "answer": answer}
    ss["hl_reply"] = spoken_reply(answer) + "\n\n" + answer.answer
    ss["hl_follow"] = False


def intake(client: MishuClient) -> None:
    with st.form("hotline_intake"):
        question = st.text_area("來電問題", key="hl_question", placeholder="例：預算300萬元的財物採購，等標期最少幾天？")
        submitted = st.form_submit_button("建議回覆", type="primary")
    if submitted:
        if not (question or "").strip():
            st.error("請填寫：來電問題")
            return
        ask(client, question.strip())
    if st.button("新來電（清除對話與案情）", key="hl_new_call"):
        for k in ("hl_conversation_id", "hl_case", "hl_facts"):
            ss.pop(k, None)
        st.rerun()


def facts_strip(client: MishuClient, question: str) -> None:
    """What the conversation knows about the case; the desk fills or corrects it and the answer recomputes."""
    known: dict[str, Any] = ss.get("hl_facts") or {}
    with st.form("hl_facts_form", border=True):
        st.caption("案情（對話已知；可在電話中補充或更正，送出後重新計算）")
        c = st.columns([2, 1, 2, 1, 1, 1], vertical_alignment="bottom")
        amount = c[0].number_input("金額（元）", min_value=0, step=10000, value=int(known.get("amount") or 0),
                                   key="hl_f_amount")
        cat = c[1].selectbox("類別", PROCUREMENT_CATEGORIES, key="hl_f_category",
                             index=PROCUREMENT_CATEGORIES.index(str(known.get("category") or UNKNOWN)))
        method_now = str(known.get("method") or UNKNOWN)
        method_now = method_now if method_now in METHODS else UNKNOWN
        method = c[2].selectbox("招標方式", METHODS, key="hl_f_method", index=METHODS.index(method_now))
        flags = {k: c[3 + i].checkbox(label, value=bool(known.get(k)), key=f"hl_f_{k}")
                 for i, (k, label) in enumerate(FLAGS.items())}
        submitted = st.form_submit_button("以此案情重新計算")
    if submitted:
        facts: dict[str, Any] = {k: v for k, v in flags.items() if v or k in known}
        if amount:
            facts["amount"] = int(amount)
        if cat != UNKNOWN:
            facts["category"] = cat
        if method != UNKNOWN:
            facts["method"] = method
        ask(client, question, facts)
        st.rerun()


def earlier(client: MishuClient, answer: Answer) -> None:
    """Earlier consultations that cited the same article (or, failing that, the same law)."""
    st.caption("先前相關諮詢")
    keys = {(c.title, c.no) for c in answer.citations}
    titles = {c.title for c in answer.citations}
    rows = call(lambda: client.consultations(None, limit=500), client.role) if keys else []
    same = [r for r in rows or [] if any((x.get("title"), x.get("no")) in keys for x in r.citations)]
    law = [r for r in rows or [] if r not in same and any(x.get("title") in titles for x in r.citations)]
    shown = (same + law)[:5]
    if not shown:
        st.caption("沒有引用相同條文或法規的先前諮詢。")
    for r in shown:
        tag = "同條文" if r in same else "同法規"
        with st.container(border=True):
            st.markdown(f"**{r.occurred_at[:10]}・{r.caller_agency}**（{tag}）")
            st.caption(r.question)
            st.markdown(r.answer[:160] + ("…" if len(r.answer) > 160 else ""))


def log_form(client: MishuClient, case: dict[str, Any]) -> None:
    answer: Answer = case["answer"]
    st.markdown("#### 記錄本次諮詢")
    c1, c2 = st.columns([3, 1])
    agency = c1.text_input("來電機關（記錄時才需要）", key="hl_agency", placeholder="例：臺中市政府建設局")
    category = c2.selectbox("類別", CATEGORIES, key="hl_category")
    reply = st.text_area("回覆內容（記錄前可修改）", key="hl_reply", height=200)
    follow = st.checkbox("需要後續追蹤", key="hl_follow")
    note = st.text_input("追蹤說明", key="hl_follow_note") if follow else ""
    if st.button("記錄本次諮詢", type="primary", key="hl_log"):
        missing = [n for n, v in (("來電機關", agency), ("回覆內容", reply)) if not (v or "").strip()]
        if missing:
            st.error("請填寫：" + "、".join(missing))
            return
        rec = call(lambda: client.log_consultation(
            caller_agency=agency.strip(), category=category, question=case["question"],
            answer=reply.strip(), citations=answer.citations, follow_up=follow, follow_up_note=note), client.role)
        if rec is not None:
            ss["hl_flash"] = f"已記錄本次諮詢（編號 {rec.ref or '—'}，{agency.strip()}・{category}）。"
            for k in ("hl_case", "hl_conversation_id", "hl_facts"):
                ss.pop(k, None)
            st.rerun()


def suggestion(client: MishuClient) -> None:
    case: dict[str, Any] | None = ss.get("hl_case")
    if not case:
        return
    answer: Answer = case["answer"]
    main_col, side = st.columns([3, 1])
    with main_col:
        st.subheader("建議回覆")
        st.caption(f"來電問題：{case['question']}")
        st.info(spoken_reply(answer), icon=":material/record_voice_over:")
        if answer.refused:
            st.warning("知識庫沒有足夠依據，建議轉請主管機關或相關單位釋示。", icon=":material/info:")
        facts_strip(client, case["question"])
        render_tool_calls(answer.tool_calls, key_prefix="hl")
        with st.container(border=True):
            st.markdown(answer_markdown(answer.answer, answer.mode))
        render_citations(client, answer.citations, key_prefix="hl", role=client.role)
        with st.form("hl_follow_up_form", clear_on_submit=True):
            follow_up = st.text_input("來電者追問（接續同一對話）", key="hl_follow_up",
                                      placeholder="例：那押標金呢？／不是勞務，是財物")
            if st.form_submit_button("追問") and (follow_up or "").strip():
                ask(client, follow_up.strip())
                st.rerun()
        log_form(client, case)
    with side:
        earlier(client, answer)


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
    counts = call(lambda: client.consultation_counts(today), client.role)
    rows = call(lambda: client.consultations(today), client.role)
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
    csv = call(lambda: client.consultations_csv(today), client.role)
    if csv is not None:
        st.download_button("匯出今日紀錄 CSV", data=csv, file_name=f"諮詢紀錄-{today.isoformat()}.csv",
                           mime="text/csv", key="hl_export")


def main() -> None:
    role = signed_in_user(*PAGE.roles).role
    page_header("諮詢專線", role, "先看建議回覆（附條文與計算結果），再記錄來電；今日紀錄")
    client = client_for(role)
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
