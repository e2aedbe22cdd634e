"""同仁問答：chat with streamed answers, expandable citations, thumbs feedback and a drafting form."""

from __future__ import annotations

from typing import Any, Literal

import streamlit as st

from core.access import Role
from ui.auth import signed_in_user
from ui.client import Answer, ApiError, DraftResult, MishuClient
from ui.common import call, client_for, page_header, render_citations, render_tool_calls, show_error
from ui.pages import page
from ui.render import answer_markdown, hard_breaks, strip_links_and_images

PAGE = page("staff_chat.py")
DRAFTING_ROLES: frozenset[Role] = frozenset({"staff", "admin"})  # the hotline desk answers, it does not draft
DRAFT_KINDS: dict[str, str] = {"投標須知": "tender_instructions", "函": "letter", "簽": "memo"}
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ss = st.session_state


# --- drafting ------------------------------------------------------------------------------------------
def parse_fields(text: str) -> tuple[dict[str, str], list[str]]:
    """「欄位：內容」 one per line -> (fields, errors naming the bad lines)."""
    fields: dict[str, str] = {}
    errors: list[str] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        sep = "：" if "：" in line else ":"
        name, found, value = line.partition(sep)
        if not found or not name.strip() or not value.strip():
            errors.append(f"第 {n} 行「{line[:30]}」不是「欄位：內容」格式")
            continue
        fields[name.strip()] = value.strip()
    return fields, errors


def draft_section(client: MishuClient) -> None:
    with st.form("draft_form"):
        kind_zh = st.selectbox("文件類型", list(DRAFT_KINDS), key="draft_kind")
        case_no = st.text_input("採購案號（選填；投標須知可由案號帶入案件資料）", key="draft_case_no",
                                placeholder="例：115S0071")
        fields_text = st.text_area("其他欄位（每行一個「欄位：內容」，會覆蓋案件資料）", key="draft_fields",
                                   placeholder="主旨：轉知政府採購法修正條文，請查照。\n受文者：臺中市政府各機關")
        submitted = st.form_submit_button("產生草稿", type="primary")
    if submitted:
        fields, errors = parse_fields(fields_text or "")
        if errors:
            st.error("欄位格式有誤，草稿未送出：\n\n" + "\n".join(f"- {e}" for e in errors))
        else:
            result = call(lambda: client.draft(DRAFT_KINDS[kind_zh], case_no.strip() or None, fields), client.role)
            if result is not None:
                url = result.docx_url
                docx = call(lambda: client.download(url), client.role) if url else None
                ss["draft_result"] = (kind_zh, result, docx)
    saved = ss.get("draft_result")
    if saved:
        render_draft(*saved)


def render_draft(kind_zh: str, result: DraftResult, docx: bytes | None) -> None:
    st.markdown(f"#### {kind_zh}草稿")
    if result.missing_fields:
        st.warning("待補欄位：" + "、".join(result.missing_fields), icon=":material/edit_note:")
    else:
        st.success("沒有待補欄位。")
    for w in result.warnings:
        st.info(w)
    with st.container(border=True):
        st.markdown(result.markdown)
    if docx:
        st.download_button("下載 Word 檔（.docx）", data=docx, file_name=f"{kind_zh}草稿-{result.id[:8]}.docx",
                           mime=DOCX_MIME, key="draft_download")


# --- chat ----------------------------------------------------------------------------------------------
def render_feedback(client: MishuClient, i: int, question: str, answer: Answer) -> None:
    sent_key = f"fb_sent_{i}"
    if ss.get(sent_key):
        st.caption(f"已送出回饋（{'有幫助' if ss[sent_key] == 'up' else '沒幫助'}），謝謝！")
        return
    cols = st.columns([1, 5, 1], vertical_alignment="center")
    with cols[0]:
        thumbs = st.feedback("thumbs", key=f"fb_thumbs_{i}")
    with cols[1]:
        comment = st.text_input("意見（選填）", key=f"fb_comment_{i}", placeholder="意見（選填）",
                                label_visibility="collapsed")
    with cols[2]:
        send = st.button("送出回饋", key=f"fb_send_{i}")
    if send:
        if thumbs is None:
            st.warning("請先點選「讚」或「倒讚」。")
            return
        value: Literal["up", "down"] = "up" if thumbs == 1 else "down"
        ok = call(lambda: client.feedback(question=question, answer=answer.answer, citations=answer.citations,
                                          thumbs=value, comment=comment, conversation_id=answer.conversation_id),
                  client.role)
        if ok is not None:
            ss[sent_key] = value
            st.caption(f"已送出回饋（{'有幫助' if value == 'up' else '沒幫助'}），謝謝！")


def render_flags(answer: Answer) -> None:
    """What the server's check of a generated answer removed or corrected (quotes, citations, links)."""
    if answer.flags:
        st.warning("回答經自動核對後有所修正：\n\n" + "\n".join(f"- {strip_links_and_images(f)}" for f in answer.flags),
                   icon=":material/fact_check:")


def render_answer_extras(client: MishuClient, i: int, question: str, answer: Answer) -> None:
    render_flags(answer)
    if answer.refused:
        st.info("知識庫沒有足夠依據回答這個問題；以上為可參考的方向。", icon=":material/info:")
    render_tool_calls(answer.tool_calls, key_prefix=f"m{i}")
    render_citations(client, answer.citations, key_prefix=f"m{i}", role=client.role)
    if answer.draft is not None:
        with st.expander("草稿（由問答產生）"):
            if answer.draft.missing_fields:
                st.warning("待補欄位：" + "、".join(answer.draft.missing_fields))
            st.markdown(strip_links_and_images(answer.draft.markdown) if answer.mode != "extractive"
                        else answer.draft.markdown)
    render_feedback(client, i, question, answer)


def stream_answer(client: MishuClient, question: str) -> Answer | None:
    """Show the text as the model writes it (without links or images: the mode is known only at the end),
    then replace it with the final, checked answer as the page renders it for its mode; the flags of the
    check are shown with it (``render_answer_extras``). Return the final answer object."""
    got: dict[str, Any] = {}
    status = st.empty()
    body = st.empty()
    text = ""
    try:
        for ev in client.ask_stream(question, ss.get("chat_conversation_id")):
            if ev.event == "status":
                status.caption(str(ev.data.get("message", "")))
            elif ev.event == "delta":
                status.empty()
                text += str(ev.data.get("text", ""))
                body.markdown(hard_breaks(strip_links_and_images(text)))
            elif ev.event == "answer":
                got["answer"] = Answer.model_validate(ev.data)
            elif ev.event == "error":
                got["error"] = str(ev.data.get("message") or "回答時發生錯誤")
    except ApiError as exc:
        status.empty()
        show_error(exc, client.role)
        return None
    status.empty()
    answer: Answer | None = got.get("answer")
    if answer is not None:
        body.markdown(answer_markdown(answer.answer, answer.mode))
    if "error" in got:
        st.error(got["error"], icon=":material/warning:")
    return answer


def main() -> None:
    role = signed_in_user(*PAGE.roles).role
    intro = "依知識庫條文回答，附引用條文與修正日期" + ("（僅公開文件）" if role == "hotline" else "")
    page_header("同仁問答", role, intro)
    client = client_for(role)
    if client is None:
        st.stop()
        return
    ss.setdefault("chat_messages", [])
    ss.setdefault("chat_conversation_id", None)
    with st.sidebar:
        if st.button("開始新對話", key="chat_new"):
            ss["chat_messages"] = []
            ss["chat_conversation_id"] = None
            for k in [k for k in ss if str(k).startswith(("fb_", "article::"))]:
                del ss[k]
    if role in DRAFTING_ROLES:
        with st.expander("擬稿（投標須知／函／簽）", expanded=bool(ss.get("draft_result")),
                         icon=":material/edit_document:"):
            draft_section(client)

    messages: list[dict[str, Any]] = ss["chat_messages"]
    for i, m in enumerate(messages):
        with st.chat_message(m["role"]):
            answer = m.get("answer")
            st.markdown(answer_markdown(m["content"], answer.mode) if isinstance(answer, Answer)
                        else hard_breaks(m["content"]))
            if m["role"] == "assistant":
                render_answer_extras(client, i, m["question"], m["answer"])

    question = st.chat_input("請輸入問題，例如：公告金額以上未達查核金額的採購等標期幾天？", key="chat_input")
    if question and question.strip():
        question = question.strip()
        messages.append({"role": "user", "content": question})
        with st.chat_message("user"):
            st.markdown(hard_breaks(question))
        with st.chat_message("assistant"):
            answer = stream_answer(client, question)
            if answer is not None:
                ss["chat_conversation_id"] = answer.conversation_id or ss.get("chat_conversation_id")
                messages.append({"role": "assistant", "content": answer.answer, "question": question,
                                 "answer": answer})
                render_answer_extras(client, len(messages) - 1, question, answer)


main()
