"""知識庫管理：documents with versions and dates, upload + re-index with progress, the evaluation report."""

from __future__ import annotations

import math
import time
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from evals.report_model import EvalReport, SplitReport
from ui.auth import signed_in_user
from ui.client import ApiError, Document, EvalReportFile, IngestJob, MishuClient
from ui.common import call, client_for, page_header, show_error
from ui.pages import page

PAGE = page("knowledge_admin.py")
UPLOAD_TYPES = ["pdf", "docx", "md", "markdown", "txt", "html", "htm"]
DOMAIN_ZH = {"procurement": "採購", "archives": "檔案／公文", "emergency": "消防／防災", "building": "大樓管理",
             "template": "範本", "plan": "計畫", "general": "一般", "out_of_scope": "範圍外",
             "tender_notice": "投標須知", "letter": "函", "memo": "簽"}
UNIT_ZH = {"article": "條", "point": "點", "section": "節"}
ACCESS_ZH = {"public": "公開", "restricted": "限閱", "secret": "密"}
TABLE_ZH = {"retrieval": "檢索", "answers": "回答", "numeric": "數值工具", "multiturn": "多輪對話",
            "drafting": "擬稿", "refusal": "拒答判斷", "refusal_questions": "拒答題組", "faithfulness": "忠實度",
            "latency": "延遲"}
JOB_POLL_S = 0.5
JOB_TIMEOUT_S = 1800.0
ss = st.session_state


# --- documents -------------------------------------------------------------------------------------------
def documents_frame(docs: list[Document]) -> pd.DataFrame:
    return pd.DataFrame([{
        "文件": d.title, "版本": d.version, "修正日期": d.amended.isoformat() if d.amended else "",
        "生效日期": d.effective.isoformat() if d.effective else "", "領域": DOMAIN_ZH.get(d.domain, d.domain),
        "單位": UNIT_ZH.get(d.unit, d.unit), "存取": ACCESS_ZH.get(d.access_level, d.access_level),
        "節錄": "是" if d.partial else "", "範例": "是" if d.sample else "", "條數": d.n_sections,
        "片段": d.n_chunks, "現行": "是" if d.is_current else "舊版", "檔案": d.file, "說明": d.note or "",
    } for d in docs])


def documents_section(client: MishuClient) -> None:
    st.subheader("知識庫文件")
    docs = call(client.documents, client.role)
    if docs is None:
        return
    if not docs:
        st.info("知識庫目前沒有文件：請上傳文件或按「重新索引」。")
        return
    current = [d for d in docs if d.is_current]
    m = st.columns(3)
    m[0].metric("現行文件", len(current))
    m[1].metric("條文／段落", sum(d.n_sections for d in current))
    m[2].metric("檢索片段", sum(d.n_chunks for d in current))
    st.dataframe(documents_frame(docs), hide_index=True, key="admin_docs_table")


# --- upload and re-index -----------------------------------------------------------------------------------
def follow_job(client: MishuClient, job: IngestJob) -> IngestJob:
    """Poll the job until it finishes, updating a progress bar."""
    bar = st.progress(job.fraction, text="索引作業排隊中…")
    deadline = time.monotonic() + JOB_TIMEOUT_S
    job_id = job.id
    while not job.finished and time.monotonic() < deadline:
        time.sleep(JOB_POLL_S)
        polled = call(lambda: client.job(job_id), client.role)
        if polled is None:
            break
        job = polled
        stage = job.stage or ("排隊中" if job.state == "queued" else "處理中")
        detail = f"{job.done}/{job.total}" if job.total else ""
        bar.progress(job.fraction, text=f"{stage} {detail}".strip())
    if job.finished:
        bar.progress(1.0, text="索引完成" if job.state == "done" else "索引失敗")
    return job


def render_job(job: IngestJob) -> None:
    if job.state == "failed":
        st.error(f"索引作業失敗：{job.error or '原因不明'}")
    elif job.state == "done":
        st.success(job.summary or "索引完成。")
    else:
        st.warning(f"索引作業仍在進行（{job.state}），稍後重新整理頁面查看。")
    failures = job.failures()
    if failures:
        st.error(f"有 {len(failures)} 個檔案未能索引：")
        st.dataframe(pd.DataFrame([{"檔案": f.get("path", ""), "原因": f.get("reason", "")} for f in failures]),
                     hide_index=True, key="admin_failed_table")


ACCESS_CHOICES = ["restricted", "public", "secret"]  # the first is the upload default
DOMAIN_CHOICES = ["procurement", "archives", "emergency", "template", "plan"]


def uploads_section(client: MishuClient) -> None:
    """Uploaded files with their access level and domain; one file at a time is edited and re-indexed."""
    sources = call(client.uploads, client.role)
    if not sources:
        return
    st.markdown("**上傳的檔案**")
    st.dataframe(pd.DataFrame([{
        "檔案": u.name, "存取": ACCESS_ZH.get(u.access_level or "", "依檔案標示"),
        "類別": DOMAIN_ZH.get(u.domain or "", u.domain or "") + ("（推斷）" if u.domain_inferred else ""),
        "上傳時間": (u.uploaded_at or "")[:19].replace("T", " "), "大小": u.size,
    } for u in sources]), hide_index=True, key="admin_uploads_table")
    with st.form("admin_upload_edit"):
        st.caption("修改存取等級或類別（儲存後重新索引）")
        c1, c2, c3 = st.columns(3)
        name = c1.selectbox("檔案", [u.name for u in sources], key="admin_edit_name")
        current = next(u for u in sources if u.name == name)
        level = c2.selectbox("存取等級", ACCESS_CHOICES, format_func=lambda v: ACCESS_ZH[v],
                             index=ACCESS_CHOICES.index(current.access_level or "restricted"), key="admin_edit_level")
        domain = c3.selectbox("類別", DOMAIN_CHOICES, format_func=lambda v: DOMAIN_ZH[v],
                              index=DOMAIN_CHOICES.index(current.domain) if current.domain in DOMAIN_CHOICES else 0,
                              key="admin_edit_domain")
        if st.form_submit_button("儲存並重新索引"):
            result = call(lambda: client.update_upload(name, access_level=level, domain=domain), client.role)
            if result is not None and result.job is not None:
                ss["admin_job"] = follow_job(client, result.job)
                st.rerun()


def ingest_section(client: MishuClient) -> None:
    st.subheader("上傳與重新索引")
    files = st.file_uploader("上傳文件（PDF、DOCX、Markdown、TXT、HTML）", type=UPLOAD_TYPES,
                             accept_multiple_files=True, key="admin_files")
    c1, c2 = st.columns(2)
    level = c1.selectbox("存取等級", ACCESS_CHOICES, format_func=lambda v: ACCESS_ZH[v], key="admin_access",
                         help="限閱：同仁與管理者可見；密：僅管理者；公開：含諮詢專線")
    domain = c2.selectbox("類別", ["", *DOMAIN_CHOICES], format_func=lambda v: DOMAIN_ZH.get(v, "由內容推斷"),
                          key="admin_domain", help="無法由內容判斷時，上傳會要求指定")
    replace = st.checkbox("同名檔案內容不同時覆蓋", key="admin_replace")
    c1, c2 = st.columns(2)
    upload = c1.button("上傳並重新索引", type="primary", disabled=not files, key="admin_upload")
    reindex = c2.button("重新索引", key="admin_reindex")
    job: IngestJob | None = None
    if upload and files:
        result = call(lambda: client.upload([(f.name, f.getvalue()) for f in files], replace=replace,
                                            access_level=level, domain=domain or None), client.role)
        if result is not None:
            parts = []
            if result.saved:
                parts.append("已存入：" + "、".join(result.saved))
            if result.unchanged:
                parts.append("內容未變更：" + "、".join(result.unchanged))
            parts.extend(result.notes)  # text left out because nobody sees it (white, tiny, hidden ...)
            ss["admin_upload_note"] = "；".join(parts) or "沒有新檔案。"
            job = result.job
    elif reindex:
        ss.pop("admin_upload_note", None)
        job = call(client.start_ingest, client.role)
    if job is not None:
        ss["admin_job"] = follow_job(client, job)
        st.rerun()  # redraw the documents table with the new index
    note = ss.get("admin_upload_note")
    if note:
        st.info(note)
    last: IngestJob | None = ss.get("admin_job")
    if last is not None:
        render_job(last)
    uploads_section(client)


# --- evaluation report -------------------------------------------------------------------------------------
def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or math.isnan(v):
        return None
    return float(v)


def family_frame(block: dict[str, Any]) -> pd.DataFrame:
    rows = [{"範圍": "整體", **(block.get("overall") or {})}]
    rows += [{"範圍": DOMAIN_ZH.get(d, d), **(v or {})} for d, v in (block.get("by_domain") or {}).items()]
    return pd.DataFrame(rows).set_index("範圍")


# metrics charted per family (the table below each chart keeps every column)
CHART_METRICS: dict[str, list[str]] = {
    "retrieval": ["hit@5", "mrr@10", "ndcg@10"],
    "answers": ["citation_precision", "citation_recall", "key_fact_coverage", "pass_rate"],
    "numeric": ["exact_match", "field_accuracy", "pass_rate"],
    "multiturn": ["citation_recall", "key_fact_coverage", "pass_rate"],
    "drafting": ["field_completeness", "missing_flagged", "pass_rate"],
    "refusal": ["precision", "recall", "f1", "false_refusal_rate"],
    "refusal_questions": ["refused", "pass_rate"],
    "faithfulness": ["quote_verbatim", "sentence_support"],
}


def chart_columns(name: str, df: pd.DataFrame) -> list[str]:
    """The family's chart metrics that are rates in [0, 1]; counts and latencies stay in the table."""
    wanted = CHART_METRICS.get(name) or [c for c in df.columns if not str(c).startswith(("n", "latency"))][:5]
    cols = []
    for c in wanted:
        if c not in df.columns:
            continue
        nums = [v for v in (_num(x) for x in df[c].tolist()) if v is not None]
        if nums and all(0.0 <= v <= 1.0 for v in nums):
            cols.append(c)
    return cols


def rate_chart(long: pd.DataFrame, y: str, color: str | None = None) -> alt.Chart:
    """Horizontal bars on a 0..1 scale (grouped by ``color`` when given); labels stay horizontal."""
    enc: dict[str, Any] = {
        "x": alt.X("數值:Q", scale=alt.Scale(domain=[0, 1]), title=None),
        "y": alt.Y(f"{y}:N", sort=None, title=None, axis=alt.Axis(labelLimit=360)),
        "tooltip": [y, *([color] if color else []), alt.Tooltip("數值:Q", format=".3f")],
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None, legend=alt.Legend(orient="bottom"))
        enc["yOffset"] = alt.YOffset(f"{color}:N")
    return alt.Chart(long).mark_bar().encode(**enc)


def chart_height(long: pd.DataFrame, y: str, color: str | None = None) -> int:
    rows = long[y].nunique() * (long[color].nunique() if color else 1)
    return int(max(160, (18 if color else 24) * rows + 90))


def headline_label(name: str) -> str:
    table, _, metric = name.partition(".")
    return f"{TABLE_ZH.get(table, table)}・{metric}" if metric else name


SPLIT_ZH = {"dev": "開發集（dev）", "dev2": "開發集二（dev2）", "test": "凍結測試集（test）"}


def headline_frame(report: EvalReport) -> pd.DataFrame:
    """Headline metrics side by side, one column per split (dev and the frozen test split together)."""
    rows = [{"指標": headline_label(metric), **{SPLIT_ZH.get(s, s): _num(v) for s, v in by_split.items()}}
            for metric, by_split in report.headline_table().items()]
    return pd.DataFrame(rows).set_index("指標") if rows else pd.DataFrame()


def split_section(name: str, block: SplitReport) -> None:
    headline = {headline_label(k): _num(v) for k, v in block.headline.items()}
    headline = {k: v for k, v in headline.items() if v is not None}
    if headline:
        st.markdown(f"**主要指標：{SPLIT_ZH.get(name, name)}**")
        df = pd.DataFrame({"指標": list(headline), "數值": list(headline.values())})
        st.altair_chart(rate_chart(df, "指標"), height=chart_height(df, "指標"))
    for family, fam in block.families.items():
        frame = family_frame(fam)
        st.markdown(f"**{TABLE_ZH.get(family, family)}**")
        cols = chart_columns(family, frame)
        if cols:
            long = frame[cols].reset_index().melt(id_vars="範圍", var_name="指標", value_name="數值").dropna()
            st.altair_chart(rate_chart(long, "範圍", color="指標"), height=chart_height(long, "範圍", "指標"))
        st.dataframe(frame, key=f"admin_eval_{name}_{family}")


def eval_section(client: MishuClient) -> None:
    st.subheader("評測報告")
    try:
        rep: EvalReportFile | None = client.eval_report()
    except ApiError as exc:
        show_error(exc, client.role)
        return
    if rep is None:
        st.info("尚無評測報告：請先執行 `mishu eval` 產生 report.json，再重新整理本頁。")
        return
    report = rep.report
    env = report.environment
    st.caption(f"報告檔：{rep.path}（{rep.modified_at[:19].replace('T', ' ')}）"
               f"　提交：{env.get('git_commit') or '—'}　日期：{env.get('date') or '—'}")
    if report.gate is not None:
        if report.gate.passed:
            st.success("回歸門檻：通過")
        else:
            st.error("回歸門檻：未通過\n\n" + "\n".join(f"- {f}" for f in report.gate.failures))
    if len(report.splits) > 1:
        st.markdown("**主要指標（各資料集並列）**")
        st.dataframe(headline_frame(report), key="admin_eval_headline")
    names = list(report.splits)
    name = names[0] if len(names) == 1 else st.selectbox(
        "資料集", names, format_func=lambda s: SPLIT_ZH.get(s, s), key="admin_eval_split")
    split_section(name, report.splits[name])


def main() -> None:
    role = signed_in_user(*PAGE.roles).role
    page_header("知識庫管理", role, "文件與版本、上傳與重新索引、評測報告")
    client = client_for(role)
    if client is None:
        st.stop()
        return
    documents_section(client)
    st.divider()
    ingest_section(client)
    st.divider()
    eval_section(client)


main()
