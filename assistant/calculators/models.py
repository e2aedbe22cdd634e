"""Shared result models of the exact calculators.

Every calculator returns a pydantic model with a one-line zh-TW ``answer_zh``, the ``citations`` that
support it (each ``quote`` verbatim in the cited article) and typed ``details``. Models serialise to
plain JSON (``model_dump(mode="json")``) for the answer object's ``tool_calls[].result``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.citation import QuotedCitation
from core.vocab import Category, TierCode

ThresholdKind = Literal["公告金額", "小額", "查核金額", "巨額"]

TIER_LABEL_ZH: dict[TierCode, str] = {
    "small": "小額採購（公告金額十分之一以下）",
    "below_announcement": "未達公告金額之採購（逾公告金額十分之一）",
    "announcement": "公告金額以上未達查核金額之採購",
    "audit": "查核金額以上未達巨額之採購",
    "large": "巨額之採購",
}


# Short names as used in questions and in evals/datasets/numeric_dev.jsonl ("expected.tier").
TIER_NAME_ZH: dict[TierCode, str] = {
    "small": "小額採購",
    "below_announcement": "未達公告金額",
    "announcement": "公告金額以上未達查核金額",
    "audit": "查核金額以上未達巨額",
    "large": "巨額",
}


class CalculatorError(ValueError):
    """Bad calculator input. The message is zh-TW and safe to show to the user."""


class ThresholdUsed(BaseModel):
    """One dated threshold that decided the result."""

    model_config = ConfigDict(frozen=True)

    kind: ThresholdKind
    category: Category | Literal["*"]
    amount: int
    effective_from: date
    effective_to: date | None
    source: str


class CalculatorResult(BaseModel):
    answer_zh: str
    citations: list[QuotedCitation]
    notes: list[str] = []


# --- procurement tier -------------------------------------------------------------------------
class TierDetails(BaseModel):
    amount: int
    amount_display: str
    category: Category
    on: date
    tier: TierCode
    tier_name: str
    tier_zh: str
    below_announcement: bool
    thresholds: list[ThresholdUsed]


class TierResult(CalculatorResult):
    details: TierDetails


class AmountDetails(BaseModel):
    components: list[tuple[str, int]]
    amount: int
    amount_display: str


class AmountResult(CalculatorResult):
    details: AmountDetails


# --- tender period ----------------------------------------------------------------------------
class Reduction(BaseModel):
    """One shortening step of the tender period, in the order it was applied."""

    name: str
    article: str
    days_allowed: int
    floor: int
    days_before: int
    days_applied: int
    days_after: int


class TenderPeriodDetails(BaseModel):
    method: str
    tier: TierCode | None
    tier_zh: str | None
    base_days: int | None
    base_rule: str
    reductions: list[Reduction]
    minimum_days: int | None
    agency_determined: bool
    publication_date: date | None = None
    deadline_at_close_of_business: bool = True
    earliest_deadline: date | None = None
    counting: list[str] = []


class TenderPeriodResult(CalculatorResult):
    details: TenderPeriodDetails


# --- bid bond and guarantees --------------------------------------------------------------------
GuaranteeKind = Literal["押標金", "履約保證金", "保固保證金", "預付款還款保證", "差額保證金"]
Requirement = Literal["應收取", "得免收取", "以免收取為原則", "不適用", "視招標文件規定"]


class ReductionCap(BaseModel):
    """A reduction the agency may allow (減收), with its largest amount given the computed cap."""

    name: str
    article: str
    percent: int
    max_amount: int | None = None


class GuaranteeItem(BaseModel):
    kind: GuaranteeKind
    requirement: Requirement
    requirement_rule: str
    cap_fixed_amount: int | None = None
    cap_rate_percent: int | None = None
    cap_rule: str | None = None
    absolute_cap: int | None = None
    amount: int | None = None
    amount_rule: str | None = None
    possible_reductions: list[ReductionCap] = []


class GuaranteeDetails(BaseModel):
    category: Category
    on: date
    basis_amount: int
    basis_label: Literal["預算金額", "預估採購總額"]
    tier: TierCode
    tier_zh: str
    rounding: str
    items: list[GuaranteeItem]


class GuaranteeResult(CalculatorResult):
    details: GuaranteeDetails
