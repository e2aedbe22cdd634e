"""Clarifying questions: when a calculation needs a fact the conversation lacks, answer with what is known
(the tiers and their periods) and ask for the missing fact in one short line."""

from __future__ import annotations

import re
from typing import Any

from assistant.facts import CaseFacts
from assistant.models import ToolCall
from assistant.nlu import Understanding, asks_guarantee_figure

CALC_INTENTS = frozenset({"tier", "tender_period", "guarantee"})
TIER_CODES = ("below_announcement", "announcement", "audit", "large")
_CALC_TOOLS = ("procurement_tier", "tender_period", "bid_bond_and_guarantees")

ASK = {
    ("amount", "category"): "請問預算金額大約多少？是工程、財物還是勞務採購？",
    ("amount",): "請問預算金額大約多少？",
    ("category",): "請問是工程、財物還是勞務採購？（門檻與規定依類別不同）",
}


# 「幾天」 alone is any deadline; a tender period is asked with these words
_TENDER_PERIOD_WORDS = re.compile(r"等標期|招標期限|截止投標|公告.{0,6}(?:幾|多少)天|上網.{0,6}(?:幾|多少)天")


def calc_intents(u: Understanding) -> set[str]:
    intents = set(u.intents) & CALC_INTENTS
    if "tender_period" in intents and not _TENDER_PERIOD_WORDS.search(u.text):
        intents.discard("tender_period")
    if "guarantee" in intents and not asks_guarantee_figure(u):
        intents.discard("guarantee")
    return intents


def tier_table_calls(u: Understanding) -> list[tuple[str, dict[str, Any]]]:
    """Without an amount, the tender periods of every tier (what is known before the amount is)."""
    if "tender_period" not in calc_intents(u) or u.amount is not None or u.tier_word:
        return []
    out = []
    for code in TIER_CODES:
        args: dict[str, Any] = {"tier": code, "category": u.category or "財物"}
        if u.method:
            args["method"] = u.method
        if u.retender:
            args["retender"] = "流標廢標撤銷決標或解除契約後3個月內重行招標"
        for flag in ("electronic_download", "electronic_bid", "urgent"):
            if getattr(u, flag):
                args[flag] = True
        out.append(("tender_period", args))
    return out


def _differs_by_category(calls: list[ToolCall]) -> bool:
    """The computed results differ between categories (so the category must be asked)."""
    by_tool: dict[str, set[str]] = {}
    for tc in calls:
        if tc.name in _CALC_TOOLS and tc.error is None and tc.result is not None:
            cat = str(tc.args.get("category", ""))
            text = (tc.result.text_zh() or "").replace(cat, "")
            by_tool.setdefault(tc.name, set()).add(text)
    return any(len(v) > 1 for v in by_tool.values())


def missing_facts(u: Understanding, facts: CaseFacts, calls: list[ToolCall]) -> list[str]:
    """The facts this question's calculation needs and the conversation lacks."""
    intents = calc_intents(u)
    if not intents:
        return []
    missing = []
    if facts.amount is None and not u.tier_word:  # a tier named (公告金額以上) stands in for the amount
        missing.append("amount")
    if facts.category is None and ("amount" in missing or _differs_by_category(calls)):
        missing.append("category")
    return missing


def clarify_line(missing: list[str]) -> str | None:
    return ASK.get(tuple(missing)) if missing else None
