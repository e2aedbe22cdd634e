"""押標金/保證金: waivers (政府採購法第30條第1項), caps (辦法第9條、第15條、第25條, floor rounding),
reductions (第9條之1、第33條之5), 預付款還款保證 (第21條), 差額保證金 (第30條, ceiling rounding)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.calculators import CalculatorError, bid_bond_and_guarantees
from assistant.calculators.guarantees import percent_floor, price_difference_guarantee
from assistant.calculators.models import GuaranteeItem, GuaranteeResult
from core.vocab import Category
from tests.helpers import raw_article

ON = date(2026, 11, 27)




def item(r: GuaranteeResult, kind: str) -> GuaranteeItem:
    return next(i for i in r.details.items if i.kind == kind)


BID_BOND_CAPS = [
    pytest.param(2_500_000, "工程", 125_000, id="第9條第2項-250萬之5%"),
    pytest.param(12_000_000, "財物", 600_000, id="第9條第2項-1200萬之5%"),
    pytest.param(200_000_000, "工程", 10_000_000, id="第9條第2項-2億之5%"),
    pytest.param(120_000_000, "財物", 6_000_000, id="第9條第2項-1.2億之5%"),
    pytest.param(1_000_000_000, "工程", 50_000_000, id="第9條第2項但書-10億之5%恰為5千萬"),
    pytest.param(1_000_000_020, "工程", 50_000_000, id="第9條第2項但書-逾5千萬以5千萬為限"),
    pytest.param(2_000_000_000, "工程", 50_000_000, id="第9條第2項但書-20億仍為5千萬"),
    pytest.param(1_234_567, "財物", 61_728, id="第9條-61728.35無條件捨去"),
    pytest.param(19, "財物", 0, id="第9條-0.95元捨去為0"),
]


@pytest.mark.parametrize("budget,category,expected", BID_BOND_CAPS)
def test_bid_bond_cap(budget: int, category: Category, expected: int) -> None:
    r = bid_bond_and_guarantees(budget, None, category, ON)
    bond = item(r, "押標金")
    assert bond.cap_fixed_amount == expected
    assert bond.absolute_cap == 50_000_000 and bond.cap_rate_percent == 5
    for c in r.citations:
        assert c.quote in raw_article(c.title, c.no), c


REQUIREMENTS = [
    pytest.param(2_500_000, "勞務", False, "以免收取為原則", "以免收取為原則", id="採購法第30條第1項第1款-勞務"),
    pytest.param(500_000, "財物", False, "得免收取", "得免收取", id="採購法第30條第1項第2款-未達公告金額財物"),
    pytest.param(1_499_999, "工程", False, "得免收取", "得免收取", id="第30條第1項第2款-公告金額減1"),
    pytest.param(1_500_000, "工程", False, "應收取", "應收取", id="第30條第1項本文-恰為公告金額應收"),
    pytest.param(2_500_000, "工程", True, "得免收取", "應收取", id="第30條第1項第3款-議價僅免押標金"),
    pytest.param(30_000_000, "財物", False, "應收取", "應收取", id="第30條第1項本文-3000萬財物"),
]


@pytest.mark.parametrize("budget,category,negotiation,bond_req,perf_req", REQUIREMENTS)
def test_requirements(budget: int, category: Category, negotiation: bool, bond_req: str, perf_req: str) -> None:
    r = bid_bond_and_guarantees(budget, None, category, ON, negotiation=negotiation)
    assert item(r, "押標金").requirement == bond_req
    assert item(r, "履約保證金").requirement == perf_req


def test_threshold_date_changes_waiver() -> None:
    # 120萬工程: 2022 公告金額100萬 -> 公告金額以上 (應收取); 2023 起 150萬 -> 未達公告金額 (得免收取)
    old = bid_bond_and_guarantees(1_200_000, None, "工程", date(2022, 12, 31))
    new = bid_bond_and_guarantees(1_200_000, None, "工程", date(2023, 1, 1))
    assert item(old, "押標金").requirement == "應收取"
    assert item(new, "押標金").requirement == "得免收取"


def test_performance_and_warranty_caps() -> None:
    r = bid_bond_and_guarantees(8_000_000, None, "工程", ON)
    assert item(r, "履約保證金").cap_fixed_amount == 800_000  # 第15條第2項 10%
    assert item(r, "保固保證金").cap_fixed_amount == 240_000  # 第25條第2項 3%
    r2 = bid_bond_and_guarantees(1_234_567, None, "財物", ON)
    assert item(r2, "履約保證金").cap_fixed_amount == 123_456  # 123,456.7 floor
    assert item(r2, "保固保證金").cap_fixed_amount == 37_037  # 37,037.01 floor


def test_reduction_caps() -> None:
    r = bid_bond_and_guarantees(6_000_000, None, "財物", ON)
    reds = {x.article: x for x in item(r, "押標金").possible_reductions}
    assert reds["押標金保證金暨其他擔保作業辦法第9條之1"].max_amount == 30_000  # 300,000 x 10%
    r2 = bid_bond_and_guarantees(10_000_000, None, "工程", ON)
    reds2 = {x.article: x for x in item(r2, "押標金").possible_reductions}
    assert reds2["押標金保證金暨其他擔保作業辦法第33條之5"].max_amount == 250_000  # 500,000 x 50%
    assert reds2["押標金保證金暨其他擔保作業辦法第33條之6"].max_amount == 150_000  # 500,000 x 30%


def test_audit_tier_notes_fourteen_day_payment_period() -> None:
    r = bid_bond_and_guarantees(60_000_000, None, "工程", ON)
    assert any("14日" in n for n in r.notes)
    assert any(c.no == "18" for c in r.citations)


def test_advance_payment_guarantee_is_same_amount() -> None:
    r = bid_bond_and_guarantees(10_000_000, None, "工程", ON, advance_payment="100萬")
    adv = item(r, "預付款還款保證")
    assert adv.amount == 1_000_000 and adv.requirement == "應收取"


@pytest.mark.parametrize("bid,base,expected", [
    pytest.param(7_000_000, 10_000_000, 1_000_000, id="第30條第1項第1款-底價80%減總標價"),
    pytest.param(7_000_000, 10_000_003, 1_000_003, id="第30條-1000002.4無條件進位"),
    pytest.param(8_000_000, 10_000_000, 0, id="第30條-恰為80%無差額"),
    pytest.param(9_000_000, 10_000_000, 0, id="第30條-高於80%無差額"),
])
def test_price_difference_guarantee(bid: int, base: int, expected: int) -> None:
    assert price_difference_guarantee(bid, base) == expected
    r = bid_bond_and_guarantees(10_000_000, None, "工程", ON, total_bid=bid, base_price=base)
    diff = item(r, "差額保證金")
    assert diff.amount == expected
    assert diff.requirement == ("不適用" if expected == 0 else "視招標文件規定")


def test_price_difference_with_committee_amount() -> None:
    r = bid_bond_and_guarantees(None, 5_000_000, "財物", ON, total_bid=3_000_000, committee_recommended=5_000_000)
    assert item(r, "差額保證金").amount == 1_000_000
    assert r.details.basis_label == "預估採購總額"


def test_percent_floor_integer_only() -> None:
    assert percent_floor(999_999_999_999, 5) == 49_999_999_999
    assert percent_floor(1, 3) == 0


def test_answer_line() -> None:
    r = bid_bond_and_guarantees(2_500_000, None, "勞務", ON)
    assert "以免收取為原則" in r.answer_zh and "12萬5,000元" in r.answer_zh


@pytest.mark.parametrize("args,kwargs,fragment", [
    pytest.param((None, None, "工程", ON), {}, "預算金額或預估採購總額", id="未提供金額"),
    pytest.param((-1, None, "工程", ON), {}, "正整數", id="負數預算"),
    pytest.param((0, None, "工程", ON), {}, "正整數", id="零預算"),
    pytest.param((1_000_000, None, "服務", ON), {}, "工程、財物或勞務", id="未知類別"),
    pytest.param((1_000_000, None, "工程", ON), {"total_bid": 500_000}, "底價", id="差額保證金缺底價"),
    pytest.param(("abc", None, "工程", ON), {}, "無法解析金額", id="金額文字無法解析"),
])
def test_bad_input(args: tuple, kwargs: dict, fragment: str) -> None:
    with pytest.raises(CalculatorError) as exc:
        bid_bond_and_guarantees(*args, **kwargs)
    assert fragment in str(exc.value)


def test_reductions_are_stated_when_asked_with_their_amounts() -> None:
    """減收 asked (「電子投標可以減收多少」): the largest 減收 of the named guarantee is written out, in the 萬
    form and, when not a whole 萬, also in digits (staff write 7.5萬 or 75,000元, never 7萬5,000元)."""
    from assistant.calculators import reductions_zh
    from assistant.nlu import understand
    from assistant.planner import RulePlanner

    r = bid_bond_and_guarantees(6_000_000, None, "財物", ON)
    text = reductions_zh(r, ["押標金"])
    assert text.startswith("押標金減收上限：")
    assert "電子投標廠商減收押標金不逾3萬元（辦法第9條之1）" in text and "優良廠商減收不逾15萬元（辦法第33條之5）" in text
    assert "履約保證金" not in text and reductions_zh(r, []) == ""
    odd = bid_bond_and_guarantees(1_500_000, None, "工程", ON)  # 押標金 75,000: not a whole 萬
    assert "不逾7萬5,000元（75,000元）" in odd.answer_zh
    assert "電子投標廠商減收押標金不逾7,500元（" in reductions_zh(odd, ["押標金"])
    plan = RulePlanner().plan(understand("600萬的財物案，押標金上限多少？電子投標可以減收多少"), "q")
    (bond,) = [p for p in plan if p.name == "bid_bond_and_guarantees"]
    assert bond.args["reductions"] == ["押標金"]
    plan = RulePlanner().plan(understand("600萬的財物案，押標金上限多少？"), "q")
    assert all("reductions" not in p.args for p in plan)
