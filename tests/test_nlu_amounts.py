"""Question understanding reads the amounts, rents and categories staff write, in every common form."""

from __future__ import annotations

import pytest

from assistant.nlu import extract_amounts, extract_category, understand


@pytest.mark.parametrize("text,amounts", [
    ("預算一億二千萬的工程", [120_000_000]),  # several 億/萬 groups are one amount
    ("金額參億肆仟萬元整", [340_000_000]),  # financial (大寫) numerals
    ("每月租金兩千八百元", [2_800]),  # no 萬: a unit and 元 make it an amount
    ("250萬的勞務", [2_500_000]),
    ("第十一條規定", []),  # numerals that are not an amount
    ("三十天內", []),
])
def test_amount_forms(text: str, amounts: list[int]) -> None:
    assert extract_amounts(text) == amounts


@pytest.mark.parametrize("text", [
    "倉庫租期尚未確定，月租金八萬元，採購金額多少",
    "沒有約定租期，每月租金新臺幣八萬元，屬於哪一級",
    "不定期承租，月租八萬元",
])
def test_indefinite_lease_rent_is_read(text: str) -> None:
    assert understand(text).monthly_rent == 80_000


def test_fixed_term_lease_has_no_indefinite_rent() -> None:
    assert understand("租期兩年，每月租金八萬元").monthly_rent is None


@pytest.mark.parametrize("text,category", [
    ("採購救護車兩輛", "財物"),
    ("停車場新建", "工程"),
    ("停車場委外經營", "勞務"),
    ("購置挖土機具", "財物"),
])
def test_category_from_what_is_bought(text: str, category: str) -> None:
    assert extract_category(text) == category
