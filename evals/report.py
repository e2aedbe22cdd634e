"""Writes an evaluation report: report.json (everything), report.md and report.html (readable, with
inline SVG charts generated here — no plotting library)."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.gate import HEADLINE, metric_value

DOMAIN_ZH = {"procurement": "採購", "archives": "檔案／公文", "emergency": "消防／防災", "out_of_scope": "範圍外",
             "template": "範本", "plan": "計畫", "tender_notice": "投標須知", "letter": "函", "memo": "簽"}
TABLE_ZH = {"retrieval": "檢索", "answers": "回答", "numeric": "數值工具", "multiturn": "多輪對話",
            "drafting": "擬稿", "refusal": "拒答判斷（所有提問）", "refusal_questions": "拒答題組（檢索題提問）",
            "faithfulness": "忠實度", "latency": "延遲", "questions": "單題提問（拒答、引用、關鍵事實）",
            "records": "紀錄題（工具與條件）", "conversations": "對話（逐輪與整段）"}
# columns shown per table (others stay in report.json)
COLUMNS: dict[str, list[str]] = {
    "retrieval": ["hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "n"],
    "answers": ["citation_precision", "citation_recall", "key_fact_coverage", "quote_verbatim", "sentence_support",
                "refused", "pass_rate", "latency_p50_ms", "latency_p95_ms", "n"],
    "numeric": ["exact_match", "stated", "field_accuracy", "citation_recall", "refused", "pass_rate",
                "latency_p95_ms", "n"],
    "questions": ["no_answer_refusal_rate", "false_refusal_rate", "false_refusal_situational",
                  "false_refusal_colloquial", "gold_top3", "citation_precision", "key_fact_coverage", "pass_rate",
                  "crashed", "n_must_refuse", "n_answerable"],
    "records": ["routing", "key_fact_coverage", "pass_rate", "crashed", "n"],
    "conversations": ["pass_rate", "turn_right_rate", "turn_key_fact_coverage", "crashed", "n_conversations", "n"],
    "multiturn": ["citation_recall", "key_fact_coverage", "quote_verbatim", "refused", "pass_rate", "n"],
    "drafting": ["has_draft", "field_completeness", "missing_flagged", "expected_values", "pass_rate", "n"],
    "refusal": ["precision", "recall", "f1", "false_refusal_rate", "n_must_refuse", "n_answerable"],
    "refusal_questions": ["citation_recall", "refused", "pass_rate", "latency_p95_ms", "n"],
    "faithfulness": ["quote_verbatim", "quotes", "sentence_support", "sentence_support_llm", "answers_scored"],
    "latency": ["latency_p50_ms", "latency_p95_ms", "n"],
}
FAITHFULNESS_METHOD = (
    "引文忠實度：每則引文（quote）須逐字出現在所引條文中（忽略空白），條文不存在即不通過。"
    "句子支持度：回答依「。！？；」與換行切句，只保留中英數字元後取字元二元組（bigram）；"
    "若某句與任一依據文字（引文、所引條文全文、計算工具結果）的二元組重疊比例 ≥ 0.5，即視為有依據；"
    "少於 3 個二元組的短句不計。每則回答的分數 = 有依據句數 ÷ 計分句數。")
PALETTE = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c"]


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 10 else f"{v:.4f}".rstrip("0").rstrip(".") if v else "0"
    return str(v)


def _dz(d: str | None) -> str:
    return "整體" if d is None else DOMAIN_ZH.get(d) or TABLE_ZH.get(d) or d


# --- SVG -------------------------------------------------------------------------------------------------
def svg_bar_chart(title: str, categories: Sequence[str], series: Mapping[str, Sequence[float | None]],
                  *, y_max: float = 1.0, width: int = 640, height: int = 260) -> str:
    """Grouped vertical bars; one group per category, one colour per series; values 0..y_max."""
    left, right, top, bottom = 44, 12, 34, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    n_cat, n_ser = max(1, len(categories)), max(1, len(series))
    group_w = plot_w / n_cat
    bar_w = max(2.0, group_w * 0.8 / n_ser)
    e = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{e(title)}" font-family="sans-serif">',
             f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">{e(title)}</text>']
    for i in range(5):
        v = y_max * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{v:g}</text>')
    for ci, cat in enumerate(categories):
        gx = left + ci * group_w + group_w * 0.1
        for si, (name, values) in enumerate(series.items()):
            value = values[ci] if ci < len(values) else None
            if value is None:
                continue
            v = float(value)
            h = plot_h * max(0.0, min(v, y_max)) / y_max
            x = gx + si * bar_w
            parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[si % len(PALETTE)]}"><title>{e(cat)} {e(name)}: {float(v):.3f}</title></rect>')
        parts.append(f'<text x="{left + ci * group_w + group_w / 2:.1f}" y="{top + plot_h + 14}" '
                     f'text-anchor="middle" font-size="11">{e(cat)}</text>')
    for si, name in enumerate(series):
        x = left + si * 130
        parts.append(f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{PALETTE[si % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="{height - 7}" font-size="11">{e(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_histogram(title: str, values: Sequence[float], *, bins: int = 12, unit: str = "ms",
                  width: int = 640, height: int = 240) -> str:
    """Histogram of ``values`` in equal-width bins."""
    e = html.escape
    if not values:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="40">'
                f'<text x="10" y="24" font-size="13">{e(title)}：無資料</text></svg>')
    # the range ends at the 99th percentile; slower outliers are counted in the last bin ("≥")
    ordered = sorted(values)
    lo, hi = ordered[0], ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]
    step = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[max(0, min(bins - 1, int((v - lo) / step)))] += 1
    left, right, top, bottom = 44, 12, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(counts)
    bw = plot_w / bins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{e(title)}" font-family="sans-serif">',
             f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14">{e(title)}</text>',
             f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{peak}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#999"/>']
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        a, b = lo + i * step, lo + (i + 1) * step
        span = f"≥{a:.0f}" if i == bins - 1 else f"{a:.0f}–{b:.0f}"
        parts.append(f'<rect x="{left + i * bw:.1f}" y="{top + plot_h - h:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" '
                     f'fill="{PALETTE[0]}"><title>{span} {unit}: {c}</title></rect>')
    for i in range(0, bins + 1, max(1, bins // 4)):
        x = left + i * bw
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-size="10">'
                     f'{lo + i * step:.0f}</text>')
    parts.append(f'<text x="{width / 2}" y="{height - 6}" text-anchor="middle" font-size="11">{e(unit)}</text></svg>')
    return "".join(parts)


def split_charts(report: Mapping[str, Any]) -> list[str]:
    """Dev vs test bars: retrieval hit@5 per domain, and the question-level rates."""
    splits = report.get("splits") or {}

    def val(block: Mapping[str, Any], table: str, metric: str, domain: str | None = None) -> float | None:
        t = (block.get("families") or {}).get(table) or {}
        v = (t.get("overall") if domain is None else (t.get("by_domain") or {}).get(domain) or {}) or {}
        x = v.get(metric)
        return float(x) if isinstance(x, int | float) else None

    doms = [None, "procurement", "archives", "emergency", "template", "plan"]
    out = [svg_bar_chart("檢索 hit@5：開發集與測試集", [_dz(d) for d in doms],
                         {SPLIT_ZH.get(n, n): [val(b, "retrieval", "hit@5", d) for d in doms]
                          for n, b in splits.items()})]
    metrics = [("questions", "no_answer_refusal_rate", "應拒答拒答率"), ("questions", "false_refusal_rate", "誤拒率"),
               ("questions", "gold_top3", "前3引用含標準"), ("questions", "key_fact_coverage", "關鍵事實"),
               ("records", "routing", "紀錄題路由"), ("conversations", "pass_rate", "對話通過")]
    out.append(svg_bar_chart("回答：開發集與測試集", [m[2] for m in metrics],
                             {SPLIT_ZH.get(n, n): [val(b, t, m) for t, m, _ in metrics] for n, b in splits.items()}))
    return out


def charts(report: Mapping[str, Any]) -> list[str]:
    if "splits" in report:
        return split_charts(report)
    fam = report.get("families") or {}
    out = []

    def by_domain(table: str, metrics: Sequence[tuple[str, str]], title: str) -> None:
        block = fam.get(table) or {}
        doms = block.get("by_domain") or {}
        if not doms:
            return
        cats = ["整體", *[_dz(d) for d in doms]]
        series = {label: [(block.get("overall") or {}).get(m), *[(v or {}).get(m) for v in doms.values()]]
                  for m, label in metrics}
        out.append(svg_bar_chart(title, cats, series))

    by_domain("retrieval", [("hit@5", "hit@5"), ("mrr@10", "MRR@10")], "檢索：各領域 hit@5 與 MRR@10")
    by_domain("refusal", [("f1", "拒答 F1"), ("false_refusal_rate", "誤拒率")], "拒答：各領域 F1 與誤拒率")
    by_domain("answers", [("key_fact_coverage", "關鍵事實涵蓋"), ("citation_recall", "引用召回")],
              "回答：各領域關鍵事實涵蓋率與引用召回率")
    lat = [float(i["metrics"]["latency_ms"]) for i in report.get("items") or []
           if i["family"] != "retrieval" and i["metrics"].get("latency_ms") is not None]
    if lat:
        out.append(svg_histogram("提問延遲分布", lat))
    return out


# --- Markdown ---------------------------------------------------------------------------------------------
def _md_table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_fmt(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return lines + [""]


def _headline_rows(report: Mapping[str, Any]) -> list[list[Any]]:
    comp = report.get("comparison")
    base = (comp or {}).get("baseline_headline") or {}
    gate_fail = " ".join((report.get("gate") or {}).get("failures") or [])
    rows = []
    for name, value in (report.get("headline") or {}).items():
        old = base.get(name)
        delta = None if old is None or value is None else round(value - old, 4)
        status = "—" if comp is None or old is None else ("未通過" if f"{name}：" in gate_fail else "通過")
        rows.append([name, value, old, delta, (report.get("tolerances") or {}).get(name), status])
    return rows


DOMAIN_ORDER = ("procurement", "archives", "emergency", "out_of_scope", "template", "plan")


def domain_headline_rows(report: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Headline metrics (rows) per domain (columns): the table for a closing note."""
    doms = {d for block in (report.get("families") or {}).values() for d in (block.get("by_domain") or {})}
    doms -= {"answers", "numeric", "multiturn", "drafting", "refusal", "tender_notice", "letter", "memo"}
    order = [d for d in DOMAIN_ORDER if d in doms] + sorted(doms - set(DOMAIN_ORDER))
    rows = [[name, metric_value(report, name), *[metric_value(report, name, d) for d in order]] for name in HEADLINE]
    return ["指標", "整體", *[_dz(d) for d in order]], rows


def _family_tables(report: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    out = []
    for table, block in (report.get("families") or {}).items():
        cols = COLUMNS.get(table) or sorted((block.get("overall") or {}).keys())
        rows = [["整體", *[(block.get("overall") or {}).get(c) for c in cols]]]
        rows += [[_dz(d), *[(v or {}).get(c) for c in cols]] for d, v in (block.get("by_domain") or {}).items()]
        out.append((TABLE_ZH.get(table, table), ["範圍", *cols], rows))
    return out


def _failed_items(report: Mapping[str, Any], limit: int = 40) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for it in report.get("items") or []:
        if not it["passed"]:
            out.setdefault(it["family"], []).append(it)
    return {k: v[:limit] for k, v in out.items()}


def _item_note(it: Mapping[str, Any]) -> str:
    d = it.get("details") or {}
    bits = []
    for k in ("error", "missing_key_facts", "quote_failures", "absent_fields", "missing_not_flagged",
              "values_not_stated", "unknown_expected_keys"):
        if d.get(k):
            bits.append(f"{k}={json.dumps(d[k], ensure_ascii=False)[:160]}")
    if "expected" in d:
        bits.append(f"expected={json.dumps(d['expected'], ensure_ascii=False)} got={json.dumps(d.get('got'), ensure_ascii=False)}")
    if "gold_rank" in d:
        bits.append(f"gold_rank={d['gold_rank']} top3={'、'.join(d.get('top3') or [])}")
    if it["metrics"].get("refused") is not None and it["metrics"].get("must_refuse") is not None \
            and bool(it["metrics"]["refused"]) != bool(it["metrics"]["must_refuse"]):
        bits.append("誤拒" if it["metrics"]["refused"] else "應拒未拒")
    return "；".join(bits)


# --- splits side by side ------------------------------------------------------------------------------------
SPLIT_ZH = {"dev": "開發集（dev＋dev2）", "dev2": "dev2", "test": "測試集（凍結）"}
SIDE_DOMAINS = ("procurement", "archives", "emergency", "template", "plan")
# (label, table, metric, breakdown key or None, breakdown value or None)
SideRow = tuple[str, str, str, str | None, str | None]


def _side_rows(report: Mapping[str, Any]) -> list[SideRow]:
    rows: list[SideRow] = []
    for metric, label in (("hit@5", "檢索 hit@5"), ("mrr@10", "檢索 MRR@10")):
        rows.append((label, "retrieval", metric, None, None))
        rows += [(f"　{label}｜{_dz(d)}", "retrieval", metric, "by_domain", d) for d in SIDE_DOMAINS]
    kinds: set[str] = set()
    convs: set[str] = set()
    for b in (report.get("splits") or {}).values():
        fam = b.get("families") or {}
        kinds |= set((fam.get("questions") or {}).get("by_refuse_kind") or {})
        convs |= set((fam.get("conversations") or {}).get("by_kind") or {})
    rows.append(("應拒答題的拒答率", "questions", "no_answer_refusal_rate", None, None))
    rows += [(f"　拒答率｜{k}", "questions", "no_answer_refusal_rate", "by_refuse_kind", k) for k in sorted(kinds)]
    rows.append(("可答題的誤拒率", "questions", "false_refusal_rate", None, None))
    rows += [(f"　誤拒率｜{st}", "questions", "false_refusal_rate", "by_style", st) for st in ("situational", "colloquial")]
    rows += [("答案前 3 個引用含標準條文", "questions", "gold_top3", None, None),
             ("引用精確率", "questions", "citation_precision", None, None),
             ("關鍵事實涵蓋率", "questions", "key_fact_coverage", None, None),
             ("數值題：計算結果正確", "numeric", "exact_match", None, None),
             ("數值題：答案文字寫出正確數值", "numeric", "stated", None, None),
             ("紀錄題：正確工具與條件", "records", "routing", None, None),
             ("紀錄題：關鍵事實涵蓋率", "records", "key_fact_coverage", None, None),
             ("紀錄題：通過率", "records", "pass_rate", None, None),
             ("對話通過率", "conversations", "pass_rate", None, None)]
    rows += [(f"　對話通過率｜{k}", "conversations", "pass_rate", "by_kind", k) for k in sorted(convs)]
    rows += [("對話逐輪關鍵事實涵蓋率", "conversations", "turn_key_fact_coverage", None, None),
             ("對話逐輪正確率", "conversations", "turn_right_rate", None, None)]
    return rows


def _side_cell(block: Mapping[str, Any], table: str, metric: str, by: str | None, key: str | None) -> str:
    t = (block.get("families") or {}).get(table) or {}
    scope = t.get("overall") if by is None else (t.get(by) or {}).get(key or "")
    if not scope or scope.get(metric) is None:
        return "—"
    n = scope.get("n_conversations") if table == "conversations" and metric == "pass_rate" else None
    if n is None and by is None and table == "questions":
        n = scope.get("n_must_refuse") if metric == "no_answer_refusal_rate" else scope.get("n_answerable")
    return f"{_fmt(scope[metric])}（{n if n is not None else scope.get('n', '?')}）"


def side_by_side(report: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Rows of the dev-vs-test table: each cell is the value with its item count in parentheses."""
    splits = report.get("splits") or {}
    order = [s for s in ("dev", "dev2", "test") if s in splits] + [s for s in splits if s not in ("dev", "dev2", "test")]
    rows: list[list[Any]] = [[label, *[_side_cell(splits[s], table, metric, by, key) for s in order]]
                             for label, table, metric, by, key in _side_rows(report)]
    rows = [r for r in rows if any(c != "—" for c in r[1:])]
    head = ["指標（括號內為題數）"] + [SPLIT_ZH.get(str(name), str(name)) for name in order]
    return head, rows


def _split_section(name: str, block: Mapping[str, Any], report: Mapping[str, Any], blind: bool) -> list[str]:
    comp = (report.get("comparison") or {}).get(name)
    prefix = f"[{name}] "
    gate = report.get("gate")
    sub = {**block, "comparison": comp, "tolerances": report.get("tolerances"),
           "gate": None if gate is None else {"passed": gate["passed"],
                                              "failures": [f for f in gate["failures"] if f.startswith(prefix)]}}
    lines = [f"# {SPLIT_ZH.get(name, name)}", ""]
    lines += ["## 門檻指標", ""] + _md_table(["指標", "本次", "基準", "差異", "容許變差", "門檻"], _headline_rows(sub))
    head, rows = domain_headline_rows(block)
    lines += ["### 各領域", ""] + _md_table(head, rows)
    for title, head, rows in _family_tables(block):
        lines += [f"## {title}", ""] + _md_table(head, rows)
    if comp is not None:
        lines += _comparison_lines(comp, blind)
    if blind:
        failed = sum(1 for i in block.get("items") or [] if not i["passed"])
        lines += [f"未通過的題目：{failed} 題（測試集不列出題目內容）。", ""]
    else:
        lines += ["## 未通過的題目（每類最多 40 題）", ""]
        for fam, items in _failed_items(block).items():
            lines += [f"### {TABLE_ZH.get(fam, fam)}", ""]
            lines += _md_table(["題號", "領域", "說明"], [[i["id"], _dz(i["domain"]), _item_note(i)] for i in items])
    return lines


def render_split_markdown(report: Mapping[str, Any]) -> str:
    env = report.get("environment") or {}
    splits = report.get("splits") or {}
    lines = ["# mishu 評估報告：開發集與測試集", "",
             f"- 提交：`{env.get('git_commit')}`{'（有未提交的修改）' if env.get('git_dirty') else ''}",
             f"- 日期：{env.get('date')}；資料集的「今天」：{(report.get('config') or {}).get('today')}",
             f"- 嵌入模型：{env.get('embedder')}",
             "- 耗時：" + "、".join(f"{SPLIT_ZH.get(k, k)} {v:.1f} 秒" for k, v in (report.get("timings_s") or {}).items()
                                   if isinstance(v, int | float)),
             f"- 機器：{env.get('platform')}，CPU {env.get('cpus')}", ""]
    gate = report.get("gate")
    if gate is not None:
        lines += [f"回歸門檻（各切分、整體與各領域）：**{'通過' if gate['passed'] else '未通過'}**", ""]
        lines += [f"- {f}" for f in gate["failures"]] + ([""] if gate["failures"] else [])
    head, rows = side_by_side(report)
    lines += ["## 開發集與測試集並列", "",
              "測試集只用來回報，不據以調整；dev2 為開發集的一部分，另列一欄。", ""] + _md_table(head, rows)
    lines += ["## 忠實度的量測方式", "", FAITHFULNESS_METHOD, ""]
    for name, block in splits.items():
        lines += _split_section(name, block, report, blind=name == "test")
    return "\n".join(lines) + "\n"


def _comparison_lines(comp: Mapping[str, Any], blind: bool = False) -> list[str]:
    lines = [f"## 與基準比較（基準提交 `{comp.get('baseline_commit')}`，{comp.get('baseline_date')}）", ""]
    if comp["metric_drops"]:
        lines += ["### 下降的指標", ""]
        lines += _md_table(["指標", "範圍", "基準", "本次", "變差", "門檻"],
                           [[d["metric"], _dz(d["domain"]), d["baseline"], d["current"], d["worse_by"],
                             "是" if d["headline"] else ""] for d in comp["metric_drops"]])
    else:
        lines += ["沒有下降的指標。", ""]
    lines += [f"### 變差的題目（基準通過、本次失敗）：{len(comp['regressions'])} 題", ""]
    if comp["regressions"] and not blind:
        lines += _md_table(["類別", "題號", "領域", "指標變化"],
                           [[r["family"], r["id"], _dz(r["domain"]),
                             "；".join(f"{k} {_fmt(v['baseline'])}→{_fmt(v['current'])}" for k, v in r["changes"].items())]
                            for r in comp["regressions"]])
    lines += [f"### 改善的題目（基準失敗、本次通過）：{len(comp['fixed'])} 題", ""]
    if comp["fixed"] and not blind:
        lines += [", ".join(f"{r['family']}:{r['id']}" for r in comp["fixed"]), ""]
    return lines


def render_markdown(report: Mapping[str, Any]) -> str:
    if "splits" in report:
        return render_split_markdown(report)
    env = report.get("environment") or {}
    lines = ["# mishu 評估報告", "",
             f"- 提交：`{env.get('git_commit')}`{'（有未提交的修改）' if env.get('git_dirty') else ''}",
             f"- 日期：{env.get('date')}", f"- 嵌入模型：{env.get('embedder')}",
             f"- 評估項目：{', '.join((report.get('config') or {}).get('families') or [])}",
             "- 耗時：" + "、".join(f"{TABLE_ZH.get(k, '合計' if k == 'total' else k)} {v:.1f} 秒"
                                   for k, v in (report.get("timings_s") or {}).items()),
             f"- 機器：{env.get('platform')}，CPU {env.get('cpus')}", ""]
    judge = report.get("judge") or {}
    lines += ["## LLM 評審指標", "",
              str(judge.get("message")) if judge.get("status") == "skipped" else
              f"模型 {judge.get('model')}：faithfulness {_fmt(judge.get('faithfulness'))}，"
              f"answer relevancy {_fmt(judge.get('answer_relevancy'))}（{judge.get('n')} 題，錯誤 {judge.get('errors')}）。"
              f"{judge.get('method', '')}", ""]
    gate = report.get("gate")
    lines += ["## 門檻指標", ""]
    if gate is not None:
        lines += [f"回歸門檻：**{'通過' if gate['passed'] else '未通過'}**", ""]
        lines += [f"- {f}" for f in gate["failures"]] + ([""] if gate["failures"] else [])
    lines += _md_table(["指標", "本次", "基準", "差異", "容許變差", "門檻"], _headline_rows(report))
    head, rows = domain_headline_rows(report)
    lines += ["### 各領域", ""] + _md_table(head, rows)
    lines += ["## 忠實度的量測方式", "", FAITHFULNESS_METHOD, ""]
    for title, head, rows in _family_tables(report):
        lines += [f"## {title}", ""] + _md_table(head, rows)
    comp = report.get("comparison")
    if comp is not None:
        lines += _comparison_lines(comp)
    lines += ["## 未通過的題目（每類最多 40 題）", ""]
    for fam, items in _failed_items(report).items():
        lines += [f"### {TABLE_ZH.get(fam, fam)}", ""]
        lines += _md_table(["題號", "領域", "說明"], [[i["id"], _dz(i["domain"]), _item_note(i)] for i in items])
    return "\n".join(lines) + "\n"


# --- HTML ------------------------------------------------------------------------------------------------
def _html_table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    e = html.escape
    h = "".join(f"<th>{e(str(c))}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{e(_fmt(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: Mapping[str, Any]) -> str:
    """The Markdown content as HTML (tables and lists), with the SVG charts after the headline table."""
    e = html.escape
    md = render_markdown(report)
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            out.append(_html_table(table[0], table[2:]) if len(table) > 2 else "")
            table.clear()

    charts_done = False
    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in line.strip().strip("|").split(" | ")]
            table.append(cells)
            continue
        flush()
        if line.startswith("## ") and not charts_done and "忠實度" in line:
            out.append('<section class="charts">' + "".join(charts(report)) + "</section>")
            charts_done = True
        if line.startswith("### "):
            out.append(f"<h3>{e(line[4:])}</h3>")
        elif line.startswith("## "):
            out.append(f"<h2>{e(line[3:])}</h2>")
        elif line.startswith("# "):
            out.append(f"<h1>{e(line[2:])}</h1>")
        elif line.startswith("- "):
            if not (out and out[-1] == "</ul>"):
                out.append("<ul>")
            else:
                out.pop()
            out.append(f"<li>{e(line[2:]).replace('`', '')}</li>")
            out.append("</ul>")
        elif line.strip():
            out.append(f"<p>{e(line).replace('**', '')}</p>")
    flush()
    if not charts_done:
        out.append('<section class="charts">' + "".join(charts(report)) + "</section>")
    style = ("body{font-family:'Noto Sans TC',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}"
             "th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#f2f4f7}"
             ".charts svg{display:block;margin:1em 0}")
    return (f'<!doctype html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>mishu 評估報告</title>'
            f"<style>{style}</style></head><body>{''.join(out)}</body></html>\n")


def write_report(report: Mapping[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write report.json, report.md and report.html into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    return paths
