"""Input checks shared by the calculators (zh-TW errors)."""

from __future__ import annotations

from datetime import date

from core.money import parse_amount
from core.vocab import CATEGORIES, Category

from .models import CalculatorError


def check_amount(amount: object, what: str = "採購金額", *, allow_zero: bool = True) -> int:
    """Accept an int or an amount text (250萬元); reject bools, floats, negatives."""
    if isinstance(amount, bool):
        raise CalculatorError(f"{what}須為整數金額（新臺幣元），收到 {amount!r}")
    if isinstance(amount, str):
        try:
            amount = parse_amount(amount)
        except ValueError as exc:
            raise CalculatorError(str(exc)) from exc
    if not isinstance(amount, int):
        raise CalculatorError(f"{what}須為整數金額（新臺幣元），收到 {amount!r}")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise CalculatorError(f"{what}須為{'非負' if allow_zero else '正'}整數，收到 {amount:,}")
    return amount


def check_category(category: object) -> Category:
    if category not in CATEGORIES:
        raise CalculatorError(f"採購性質須為工程、財物或勞務，收到：{category!r}")
    return category


def check_date(on: object, what: str = "基準日") -> date:
    if not isinstance(on, date):
        raise CalculatorError(f"{what}須為日期（date），收到 {on!r}")
    return on
