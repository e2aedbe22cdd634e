"""Pieces shared by the pages: the API client for the signed-in role, error boxes, citations and figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import streamlit as st

from core.access import Role
from core.accounts import ROLE_ZH
from core.tls import pinned_tls_context
from ui.client import ApiError, ApiUnavailable, Article, Citation, MishuClient, ToolCall, UiConfig

T = TypeVar("T")
TOOL_ZH: dict[str, str] = {
    "procurement_tier": "採購金額級距", "tender_period": "等標期", "bid_bond_and_guarantees": "押標金與保證金上限",
    "search_regulations": "條文檢索", "get_article": "條文全文", "lookup_case": "採購案查詢",
    "find_cases": "採購案清單", "failed_tender_report": "流廢標統計", "vendor_suspension_check": "廠商停權查詢",
    "retention_lookup": "檔案保存年限", "building_safety_status": "市政大樓安全檢查", "log_consultation": "諮詢登錄",
}
_POINT_TITLES = ("要點", "須知", "要項", "注意事項")
_ARTICLE_NO = re.compile(r"^\d+(?:-\d+)?$")


def config() -> UiConfig:
    return UiConfig.from_env()


def client_for(role: Role) -> MishuClient | None:
    """A client with the key of exactly this role (held in this process, never in session state), or None
    (with a zh-TW error box) when the pages have no key for it."""
    cfg = config()
    key = cfg.key_for(role)
    if not key:
        st.error(f"頁面服務沒有{ROLE_ZH[role]}角色的 API 金鑰：請由 mishu up 啟動頁面，或設定環境變數 "
                 f"{UiConfig.key_env_name(role)} 後重新啟動頁面。", icon=":material/key:")
        return None
    verify = pinned_tls_context(cfg.api_cert) if cfg.api_cert else True
    return MishuClient(cfg.api_url, key, timeout_s=cfg.timeout_s, role=role, verify=verify)


def show_error(exc: ApiError, role: Role | None = None) -> None:
    """One clear zh-TW box per failure kind."""
    if isinstance(exc, ApiUnavailable):
        st.error(exc.message, icon=":material/power_off:")
    elif exc.status == 401:
        env = UiConfig.key_env_name(role or "staff")
        st.error(f"API 金鑰無效或未被服務接受（{exc.message}）。請檢查 {env} 是否與服務的 MISHU_API_KEYS 一致。",
                 icon=":material/key:")
    elif exc.status == 403:
        st.error(f"權限不足：{exc.message}", icon=":material/block:")
    else:
        st.error(f"{exc.message}（代碼 {exc.code}）", icon=":material/warning:")


def call(fn: Callable[[], T], role: Role | None = None) -> T | None:
    """Run an API call; on failure show the error box and return None."""
    try:
        return fn()
    except ApiError as exc:
        show_error(exc, role)
        return None


def citation_label(c: Citation) -> str:
    """Display form: 政府採購法第22條之1 (the API's label when it gave one)."""
    if c.label:
        return c.label
    if _ARTICLE_NO.match(c.no):
        base, _, sub = c.no.partition("-")
        if c.title.endswith(_POINT_TITLES):
            return f"{c.title}第{c.no}點"
        return f"{c.title}第{base}條" + (f"之{sub}" if sub else "")
    return f"{c.title}（{c.no}）"


def dedupe_citations(citations: list[Citation]) -> list[Citation]:
    """Drop repeats of the same label and quote (the answer may cite one article several ways)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for c in citations:
        key = (citation_label(c), c.quote)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def render_citations(client: MishuClient, citations: list[Citation], key_prefix: str,
                     role: Role | None = None) -> None:
    """Each citation in an expander: 法規名稱+條號, 修正日期, the quote, and a button to load the full article."""
    cites = dedupe_citations(citations)
    if not cites:
        return
    st.caption(f"引用條文（{len(cites)}）")
    for i, c in enumerate(cites):
        amended = f"{c.amended} 修正" if c.amended else "修正日期不詳"
        flags = "".join([" ・節錄" if c.partial else "", " ・範例" if c.sample else ""])
        with st.expander(f"{citation_label(c)}（{amended}）{flags}", icon=":material/menu_book:"):
            st.markdown(f"**{c.title}** ・ {citation_label(c).removeprefix(c.title) or c.no} ・ {amended}")
            if c.quote:
                st.markdown("> " + c.quote.replace("\n", "\n> "))
            state_key = f"article::{c.title}::{c.no}"
            if st.button("載入全文", key=f"{key_prefix}_art_{i}"):
                art = call(partial(client.article, c.title, c.no), role)
                if art is not None:
                    st.session_state[state_key] = art
            art = st.session_state.get(state_key)
            if isinstance(art, Article):
                render_article(art)


def render_article(a: Article) -> None:
    meta = [f"修正日期 {a.amended}" if a.amended else "修正日期不詳"]
    if a.chapter:
        meta.append(" > ".join(a.chapter))
    if not a.is_current:
        meta.append("非現行版本")
    if a.partial:
        meta.append("節錄")
    if a.deleted:
        meta.append("已刪除")
    st.markdown(f"**{a.title}{a.label}**（{'；'.join(meta)}）")
    st.text(a.text)


def render_tool_calls(tool_calls: list[ToolCall], key_prefix: str) -> None:
    """Computed figures (級距, 等標期, 押標金上限 ...) as short statements with their notes and details."""
    figures = [t for t in tool_calls if isinstance(t.result, dict) and (t.result.get("answer_zh")
                                                                         or t.result.get("error"))]
    if not figures:
        return
    st.caption("計算結果")
    for t in figures:
        result: dict[str, Any] = t.result
        name = TOOL_ZH.get(t.name, t.name)
        if result.get("error"):
            st.warning(f"{name}：無法計算（{result['error']}）")
            continue
        st.success(f"**{name}**：{result['answer_zh']}")
        notes = [str(n) for n in result.get("notes") or []]
        details = result.get("details")
        if notes or details:
            with st.expander(f"{name}：說明與計算明細"):
                for n in notes:
                    st.markdown(f"- {n}")
                if details:
                    st.json(details, expanded=False)


def page_header(title: str, role: Role, intro: str) -> None:
    st.title(title)
    cfg = config()
    st.caption(f"{intro}　｜　服務：{cfg.api_url}　｜　角色：{ROLE_ZH[role]}")
