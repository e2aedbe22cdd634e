"""Controlled vocabularies shared by every layer, and the word lists that say which words carry no content."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal


class Domain(StrEnum):
    procurement = "procurement"
    archives = "archives"
    emergency = "emergency"
    template = "template"
    plan = "plan"


class Unit(StrEnum):
    article = "article"  # 第N條 / 第N條之M  -> no "N" / "N-M"
    point = "point"  # 要點/範本 points 一、二、 -> no "N"
    section = "section"  # headed section of a plan/manual -> no = heading path


# 採購性質 (政府採購法第7條).
Category = Literal["工程", "財物", "勞務"]
CATEGORIES: tuple[Category, ...] = ("工程", "財物", "勞務")

# Procurement amount tiers, smallest first (names in assistant/calculators/models.py).
TierCode = Literal["small", "below_announcement", "announcement", "audit", "large"]
TIER_ORDER: tuple[TierCode, ...] = ("small", "below_announcement", "announcement", "audit", "large")


# Kinds of draft. 投標須知 is ``tender_instructions`` inside mishu; the answer object and the API name it
# ``tender_notice`` (docs/DESIGN.md), which every edge keeps accepting as an alias.
DraftKind = Literal["tender_instructions", "letter", "memo"]
DRAFT_KINDS: tuple[DraftKind, ...] = ("tender_instructions", "letter", "memo")
DRAFT_KIND_ALIASES: dict[str, DraftKind] = {"tender_notice": "tender_instructions"}
PUBLIC_DRAFT_KIND: dict[DraftKind, str] = {"tender_instructions": "tender_notice", "letter": "letter", "memo": "memo"}
"""The name of each kind in the answer object (docs/DESIGN.md)."""


def draft_kind(name: str) -> DraftKind | None:
    """The draft kind ``name`` means (its own name or an alias); None when it names none."""
    if name in DRAFT_KIND_ALIASES:
        return DRAFT_KIND_ALIASES[name]
    return next((k for k in DRAFT_KINDS if k == name), None)


# --- words without content -------------------------------------------------------------------------
# Three lists for three different inputs; each is defined once, here.
#
# STOPWORDS: function words dropped from every index and query token (knowledge.lexical.Tokenizer).
STOPWORDS: frozenset[str] = frozenset([
    "之", "的", "及", "或", "與", "者", "其", "於", "為", "並", "等", "是", "了", "嗎", "呢", "吧", "啊", "什麼", "怎麼",
    "如何", "請問", "可以", "是否", "哪些", "多少", "一下", "要", "有", "在", "這", "那", "我", "你", "我們", "規定",
    "相關"])

# QUESTION_WORDS: the words of a question that are never evidence for an answer (assistant.evidence):
# the stopwords plus question phrasing and generic administrative words.
QUESTION_WORDS: frozenset[str] = STOPWORDS | frozenset([
    "需要", "應該", "幾天", "時候", "情況", "一定", "機關", "辦理", "問題", "能", "會", "就", "還", "都", "以及",
    "或是", "還是", "那個", "這個", "他們", "請", "幫", "幫忙", "知道", "告訴", "依據", "根據", "法規", "條文"])

# QUESTION_STOP_BIGRAMS: CJK character bigrams of question phrasing (請問、可以、多少、怎麼…), ignored when
# measuring how much of a question an article covers (knowledge.lexicon.question_bigrams).
QUESTION_STOP_BIGRAMS: frozenset[str] = frozenset([
    "請問", "問一", "一下", "可以", "以不", "是否", "規定", "需要", "要怎", "怎麼", "麼辦", "如何", "什麼", "麼時", "時候",
    "哪些", "哪幾", "幾種", "多少", "少錢", "幾天", "幾次", "多久", "久要", "要多", "要在", "在幾", "天內", "有沒", "沒有",
    "有什", "麼樣", "樣的", "一定", "應該", "還是", "或是", "這個", "那個", "我們", "一次", "要幾", "嗎？", "呢？", "的話",
    "之後", "以後", "的時", "候要", "要做", "做什", "要寫", "寫哪", "要編", "編哪", "要用", "用什", "要放", "放在",
    "哪裡", "裡要", "要去", "去哪", "可不", "不可", "能不", "不能", "會不", "不會", "要不", "不要"])

# A content token: two or more CJK characters, letters or digits (not a "#" bigram token).
CONTENT_TOKEN = re.compile(r"^[\u3400-\u9fffA-Za-z0-9]{2,}$")
