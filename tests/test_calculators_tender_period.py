"""招標期限標準: base minimums (第2-6條), reductions and floors (第9條, 第4條之1, 第8條), agency-set
periods (第6條, 第10條) and deadline counting (第11條). Expected values derived from the article texts."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.calculators import CalculatorError, earliest_deadline, tender_period
from assistant.calculators.tender_period import Method
from core.vocab import Category
from tests.helpers import raw_article

ON = date(2026, 11, 27)
OPEN: Method = "公開招標"
QUAL: Method = "選擇性招標資格審查"
INVITE: Method = "選擇性招標邀標"
EVAL: Method = "限制性招標公開評選"
SOLICIT: Method = "公開徵求(第22條第1項第11款)"
QUOTE49: Method = "公開取得書面報價或企劃書(第49條)"
LIMITED: Method = "限制性招標(未經公開評選)"
STAGE: Method = "分段開標後續階段邀標(第42條第2項)"
REOPEN_3M = "流標廢標撤銷決標或解除契約後3個月內重行招標"
REOPEN_6M = "取消或暫停後6個月內重行或續行招標"




# (amount or tier, method, category, options, expected minimum days)
PERIOD_CASES = [
    # 第2條第2項 公開招標
    pytest.param(800_000, OPEN, "財物", {}, 7, id="第2條第2項第1款-未達公告金額7日"),
    pytest.param(150_000, OPEN, "財物", {}, 7, id="第2條第2項第1款-小額亦屬未達公告金額7日"),
    pytest.param(2_500_000, OPEN, "勞務", {}, 14, id="第2條第2項第2款-250萬勞務14日"),
    pytest.param(1_500_000, OPEN, "工程", {}, 14, id="第2條第2項第2款-恰為公告金額14日"),
    pytest.param(12_000_000, OPEN, "勞務", {}, 21, id="第2條第2項第3款-1200萬勞務21日"),
    pytest.param(300_000_000, OPEN, "工程", {}, 28, id="第2條第2項第4款-3億工程28日"),
    pytest.param(20_000_000, OPEN, "勞務", {}, 28, id="第2條第2項第4款-勞務恰為巨額28日"),
    # 第3條 選擇性招標
    pytest.param(500_000, QUAL, "財物", {}, 7, id="第3條第2項第1款-資格審查未達公告7日"),
    pytest.param(3_000_000, QUAL, "財物", {}, 10, id="第3條第2項第2款-資格審查300萬10日"),
    pytest.param(60_000_000, QUAL, "工程", {}, 10, id="第3條第2項第2款-查核金額以上亦10日"),
    pytest.param("large", QUAL, "工程", {}, 14, id="第3條第2項第3款-巨額14日"),
    pytest.param(2_500_000, INVITE, "勞務", {}, 14, id="第3條第3項準用第2條-邀標14日"),
    # 第4條
    pytest.param(12_000_000, EVAL, "勞務", {}, 21, id="第4條第1項準用第2條-公開評選21日"),
    pytest.param(30_000_000, SOLICIT, "財物", {}, 10, id="第4條第2項-公開徵求10日"),
    pytest.param(30_000_000, SOLICIT, "財物", {"second_or_later_solicitation": True}, 5,
                 id="第4條第2項後段-第二次以後公開徵求5日"),
    # 第5條
    pytest.param(500_000, QUOTE49, "財物", {}, 5, id="第5條-第49條公開取得5日"),
    # 第2條第3項
    pytest.param(2_500_000, STAGE, "財物", {"electronic_download": True}, 7, id="第2條第3項-後續階段邀標7日"),
    # 第9條 reductions and floors
    pytest.param(2_500_000, OPEN, "勞務", {"electronic_download": True}, 11, id="第9條第2款-14減3為11"),
    pytest.param(2_500_000, OPEN, "勞務", {"electronic_download": True, "electronic_bid": True}, 9,
                 id="第9條第2款第3款-14減3減2為9"),
    pytest.param(2_500_000, OPEN, "勞務", {"electronic_bid": True}, 12, id="第9條第3款-14減2為12"),
    pytest.param(800_000, OPEN, "財物", {"electronic_download": True}, 5, id="第9條第2款但書-7減3不得少於5"),
    pytest.param(800_000, OPEN, "財物", {"electronic_download": True, "electronic_bid": True}, 5,
                 id="第9條第3款但書-已達5日不再縮短"),
    pytest.param(800_000, OPEN, "財物", {"public_inspection": True}, 7, id="第9條第1款但書-7日不因公開閱覽縮短"),
    pytest.param(2_500_000, OPEN, "勞務", {"public_inspection": True}, 10, id="第9條第1款但書-14減5不得少於10"),
    pytest.param(60_000_000, OPEN, "工程", {"public_inspection": True}, 16, id="第9條第1款-21減5為16"),
    pytest.param(60_000_000, OPEN, "工程",
                 {"public_inspection": True, "electronic_download": True, "electronic_bid": True}, 11,
                 id="第9條三款併用-21減10為11"),
    pytest.param(300_000_000, OPEN, "工程",
                 {"public_inspection": True, "electronic_download": True, "electronic_bid": True}, 18,
                 id="第9條三款併用-28減10為18"),
    pytest.param(2_500_000, OPEN, "勞務",
                 {"public_inspection": True, "electronic_download": True, "electronic_bid": True}, 5,
                 id="第9條三款併用-14至10再減3減2為5"),
    pytest.param(30_000_000, SOLICIT, "財物", {"electronic_download": True, "electronic_bid": True}, 5,
                 id="第4條第2項併第9條-10減3減2為5"),
    pytest.param(500_000, QUOTE49, "財物", {"electronic_download": True}, 5, id="第5條併第9條第2款-已為5日"),
    # 第4條之1 urgent
    pytest.param(5_000_000, OPEN, "財物", {"urgent": True}, 10, id="第4條之1-緊急不得少於10日"),
    pytest.param(300_000_000, OPEN, "工程", {"urgent": True, "electronic_download": True}, 10,
                 id="第4條之1-併第9條縮短亦不得少於10日"),
    pytest.param(2_500_000, OPEN, "勞務", {"urgent": True, "electronic_download": True, "electronic_bid": True}, 9,
                 id="第4條之1-不使第9條已得之9日延長"),
    pytest.param(800_000, OPEN, "財物", {"urgent": True}, 7, id="第4條之1-限公告金額以上-未達者不適用"),
    pytest.param("announcement", QUAL, "財物", {"urgent": True}, 10, id="第4條之1-資格審查10日無可再縮"),
    # 第8條 re-tender
    pytest.param(2_500_000, OPEN, "勞務", {"retender": REOPEN_3M}, 7, id="第8條第2項-公告金額以上不得少於7日"),
    pytest.param(800_000, OPEN, "財物", {"retender": REOPEN_3M}, 3, id="第8條第2項-未達公告金額不得少於3日"),
    pytest.param(300_000_000, OPEN, "工程", {"retender": REOPEN_6M}, 7, id="第8條第1項-巨額取消後重行7日"),
    pytest.param(800_000, OPEN, "財物", {"retender": REOPEN_6M, "electronic_download": True}, 3,
                 id="第8條併第9條-5日再縮為3日"),
]


@pytest.mark.parametrize("amount,method,category,opts,expected", PERIOD_CASES)
def test_minimum_days_table(amount: int | str, method: Method, category: Category, opts: dict, expected: int) -> None:
    r = tender_period(amount, method, category, ON, **opts)
    assert r.details.minimum_days == expected
    assert r.details.agency_determined is False
    for red in r.details.reductions:
        assert red.days_after >= red.floor or red.days_applied == 0
        assert red.days_after == red.days_before - red.days_applied
    for c in r.citations:
        assert c.quote in raw_article(c.title, c.no), c


def test_reduction_steps_record_articles_and_floors() -> None:
    r = tender_period(2_500_000, OPEN, "勞務", ON, public_inspection=True, electronic_download=True,
                      electronic_bid=True)
    steps = [(s.article, s.days_before, s.days_applied, s.days_after, s.floor) for s in r.details.reductions]
    assert steps == [("招標期限標準第9條第1款", 14, 4, 10, 10),
                     ("招標期限標準第9條第2款", 10, 3, 7, 5),
                     ("招標期限標準第9條第3款", 7, 2, 5, 5)]
    assert r.details.base_days == 14
    assert r.details.base_rule == "招標期限標準第2條第2項第2款"


def test_urgent_below_threshold_is_noted_not_applied() -> None:
    r = tender_period(800_000, OPEN, "財物", ON, urgent=True)
    assert r.details.reductions == []
    assert any("公告金額以上" in n for n in r.notes)


@pytest.mark.parametrize("method,opts,article", [
    pytest.param(LIMITED, {}, "6", id="第6條-限制性招標未經公開評選由機關訂定"),
    pytest.param(OPEN, {"article10_case": 3}, "10", id="第10條第3款-原物料行情波動"),
    pytest.param(OPEN, {"treaty_procurement": True}, "9", id="條約協定採購-不計算"),
])
def test_agency_determined_periods_have_no_number(method: Method, opts: dict, article: str) -> None:
    r = tender_period(2_500_000, method, "財物", ON, publication_date=date(2026, 12, 1), **opts)
    assert r.details.minimum_days is None
    assert r.details.agency_determined is True
    assert r.details.earliest_deadline is None
    assert any(c.title == "招標期限標準" and c.no == article for c in r.citations)


# --- 第11條 deadline counting -------------------------------------------------------------------
DEADLINE_CASES = [
    # publication Tue 2026-12-01, 14 days, deadline at close: day 1 = 12-01, day 14 = Mon 12-14
    pytest.param(date(2026, 12, 1), 14, True, set(), set(), date(2026, 12, 14), id="第11條第1項第2項-當日算入-截止日算入"),
    pytest.param(date(2026, 12, 1), 14, False, set(), set(), date(2026, 12, 15), id="第11條第2項-未達下班時間截止日不算入"),
    # Mon 2026-11-30 + 7 days -> day 7 = Sun 12-06 -> Mon 12-07
    pytest.param(date(2026, 11, 30), 7, True, set(), set(), date(2026, 12, 7), id="第11條第3項-週日順延"),
    # Tue 2026-12-01 + 5 -> Sat 12-05 -> Mon 12-07
    pytest.param(date(2026, 12, 1), 5, True, set(), set(), date(2026, 12, 7), id="第11條第3項-週六順延至週一"),
    # Fri 2026-12-04 + 5 -> Tue 12-08; the weekend inside counts
    pytest.param(date(2026, 12, 4), 5, True, set(), set(), date(2026, 12, 8), id="第11條第5項-期間中休息日算入"),
    # Tue 2026-12-22 + 11 -> Fri 2027-01-01 holiday -> Sat, Sun -> Mon 2027-01-04
    pytest.param(date(2026, 12, 22), 11, True, {date(2027, 1, 1)}, set(), date(2027, 1, 4), id="第11條第3項-國定假日連假順延"),
    # a make-up working Saturday is not a rest day
    pytest.param(date(2026, 12, 1), 5, True, set(), {date(2026, 12, 5)}, date(2026, 12, 5), id="補班之週六非休息日"),
    # not at close: Thu 2026-12-03 + 2 -> 12-05 Sat -> Mon 12-07
    pytest.param(date(2026, 12, 3), 2, False, set(), set(), date(2026, 12, 7), id="第11條第2項第3項-不算入後再順延"),
]


@pytest.mark.parametrize("start,days,at_close,holidays,makeup,expected", DEADLINE_CASES)
def test_earliest_deadline(start: date, days: int, at_close: bool, holidays: set, makeup: set,
                           expected: date) -> None:
    got, steps = earliest_deadline(start, days, deadline_at_close_of_business=at_close, holidays=holidays,
                                   makeup_workdays=makeup)
    assert got == expected
    assert steps and "第11條" in steps[0]


def test_tender_period_with_publication_date() -> None:
    r = tender_period(2_500_000, OPEN, "勞務", ON, electronic_download=True, electronic_bid=True,
                      publication_date=date(2026, 12, 1))
    assert r.details.minimum_days == 9
    assert r.details.earliest_deadline == date(2026, 12, 9)
    assert "2026-12-09" in r.answer_zh
    assert any(c.no == "11" for c in r.citations)


@pytest.mark.parametrize("kwargs,fragment", [
    pytest.param({"method": "公開標"}, "招標方式", id="未知招標方式"),
    pytest.param({"category": "服務"}, "工程、財物或勞務", id="未知類別"),
    pytest.param({"amount_or_tier": -5}, "非負", id="負數金額"),
    pytest.param({"article10_case": 5}, "第10條", id="第10條無第5款"),
    pytest.param({"retender": "三個月內"}, "重行招標", id="未知重行招標情形"),
])
def test_bad_input(kwargs: dict, fragment: str) -> None:
    args = {"amount_or_tier": 2_500_000, "method": OPEN, "category": "勞務", "on": ON} | kwargs
    with pytest.raises(CalculatorError) as exc:
        tender_period(**args)
    assert fragment in str(exc.value)


def test_zero_day_period_rejected() -> None:
    with pytest.raises(CalculatorError):
        earliest_deadline(date(2026, 12, 1), 0)


def test_tier_name_input_and_opening_note() -> None:
    r = tender_period("查核金額以上未達巨額", OPEN, "工程", ON, publication_date=date(2026, 12, 1))
    assert r.details.minimum_days == 21
    assert r.details.earliest_deadline == date(2026, 12, 21)  # day 21 = Mon 12-21
    assert any("49條之1" in s for s in r.details.counting)
    assert any(c.no == "49-1" for c in r.citations)


def test_qualification_counts_from_gazette_day() -> None:
    r = tender_period(3_000_000, QUAL, "財物", ON, publication_date=date(2026, 12, 1))
    assert "刊登政府採購公報日" in r.answer_zh and r.details.earliest_deadline == date(2026, 12, 10)
