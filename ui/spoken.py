"""A short spoken-style reply (two or three sentences a person can read out on the phone), built without an
LLM from the answer object by a template per answer type: computed, record look-up, regulation quote,
question back (clarify), refusal."""

from __future__ import annotations

import re

from ui.client import Answer, Citation

CALCULATORS = frozenset(
    {"procurement_tier", "tender_period", "bid_bond_and_guarantees", "procurement_amount"}
)
RECORD_TOOLS = frozenset(
    {
        "lookup_case",
        "failed_tender_report",
        "vendor_suspension_check",
        "retention_lookup",
        "find_seed_teachers",
        "building_safety_status",
    }
)
FACT_NAMES = {"amount": "金額", "category": "類別", "method": "招標方式"}
MAX_QUOTE = 90


def _direct_lines(text: str) -> list[str]:
    """The 「・」 lines of the answer's 【直接答案】 section."""
    if "【直接答案】" not in text:
        return []
    section = text.split("【直接答案】", 1)[1].split("【", 1)[0]
    return [ln.strip()[1:].strip() for ln in section.splitlines() if ln.strip().startswith("・")]


def _label(c: Citation) -> str:
    from ui.common import citation_label

    return citation_label(c)


def _sentence(s: str) -> str:
    s = s.strip().rstrip("。；;，,")
    return f"{s}。" if s else ""


def _short(quote: str) -> str:
    q = quote.strip()
    return q if len(q) <= MAX_QUOTE else q[:MAX_QUOTE].rstrip("，、；") + "…"


def _facts_phrase(facts: dict[str, object] | None) -> str:
    if not facts:
        return ""
    bits = []
    amount = facts.get("amount")
    if isinstance(amount, int):
        bits.append(f"{amount // 10000:,}萬元" if amount % 10000 == 0 else f"{amount:,}元")
    if facts.get("category"):
        bits.append(f"{facts['category']}採購")
    if facts.get("method"):
        bits.append(str(facts["method"]))
    return "、".join(bits)


def answer_type(answer: Answer) -> str:
    names = {t.name for t in answer.tool_calls}
    if answer.refused:
        return "refused"
    if answer.clarify:
        return "clarify"
    if names & CALCULATORS and _direct_lines(answer.answer):
        return "computed"
    if names & RECORD_TOOLS and _direct_lines(answer.answer):
        return "record"
    return "regulation"


def spoken_reply(answer: Answer) -> str:
    kind = answer_type(answer)
    cite = answer.citations[0] if answer.citations else None
    lines = _direct_lines(answer.answer)
    if kind == "refused":
        whom = re.search(r"建議洽詢：([^。\n]+)", answer.answer) or re.search(
            r"請洽([^。\n]+)", answer.answer
        )
        return "這個問題知識庫裡沒有足夠的條文依據，我們不便直接答覆。" + (
            f"建議您洽詢{whom.group(1)}。" if whom else ""
        )
    if kind == "clarify":
        lead = _sentence(lines[0]) if lines else ""
        return f"{lead}想跟您確認一下：{answer.clarify}".strip()
    if kind in ("computed", "record"):
        facts = _facts_phrase(answer.facts) if kind == "computed" else ""
        head = _sentence(lines[0])
        basis = f"依據是{_label(cite)}。" if cite else ""
        assumed = f"以上是以{facts}計算的。" if facts else ""
        return head + basis + assumed
    if cite is None:
        return "知識庫有相關條文，請參考下方引用。"
    return f"依{_label(cite)}規定：「{_short(cite.quote)}」詳細條文我再念給您聽或寄給您參考。"
