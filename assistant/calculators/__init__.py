"""Exact calculators of the assistant: pure typed functions over cited rules and dated thresholds.

No LLM and no retrieval: every figure comes from knowledge/data/thresholds.json or from article texts
in the shipped sources, and every citation quote is verbatim (checked when the result is built).
"""

from .articles import ArticleIndex, QuoteNotFoundError, quote
from .guarantees import bid_bond_and_guarantees, reductions_zh
from .models import (
    AmountResult,
    CalculatorError,
    GuaranteeResult,
    QuotedCitation,
    TenderPeriodResult,
    TierResult,
)
from .tender_period import earliest_deadline, tender_period
from .thresholds import ThresholdTable
from .tier import procurement_amount, procurement_tier

__all__ = [
    "AmountResult",
    "ArticleIndex",
    "CalculatorError",
    "QuotedCitation",
    "GuaranteeResult",
    "QuoteNotFoundError",
    "TenderPeriodResult",
    "ThresholdTable",
    "TierResult",
    "bid_bond_and_guarantees",
    "earliest_deadline",
    "procurement_amount",
    "procurement_tier",
    "quote",
    "reductions_zh",
    "tender_period",
]
