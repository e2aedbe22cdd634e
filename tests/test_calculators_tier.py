"""Procurement tier: boundaries derived from the article texts, before/after 2023-01-01."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from assistant.calculators import CalculatorError, procurement_amount, procurement_tier
from assistant.calculators.tier import classify
from core.vocab import Category
from evals.datasets_io import DATASETS_DIR
from tests.helpers import raw_article

Y2026 = date(2026, 11, 27)
OLD = date(2022, 12, 31)
NEW = date(2023, 1, 1)




# (amount, category, on, expected tier) — article reference in the id
TIER_CASES = [
    pytest.param(1, "財物", Y2026, "small", id="1元-小額-招標辦法第5條"),
    pytest.param(120_000, "財物", Y2026, "small", id="12萬財物-小額"),
    pytest.param(150_000, "財物", Y2026, "small", id="15萬恰為公告金額十分之一-以下含本數-招標辦法第5條"),
    pytest.param(150_001, "勞務", Y2026, "below_announcement", id="150001-逾十分之一-採購法第49條"),
    pytest.param(1_490_000, "工程", Y2026, "below_announcement", id="149萬工程-未達公告金額"),
    pytest.param(1_499_999, "工程", Y2026, "below_announcement", id="公告金額減1-未達-採購法第49條"),
    pytest.param(1_500_000, "財物", Y2026, "announcement", id="恰為公告金額-以上含本數-採購法第13條"),
    pytest.param(2_500_000, "勞務", Y2026, "announcement", id="250萬勞務-公告金額以上"),
    pytest.param(9_999_999, "勞務", Y2026, "announcement", id="勞務查核金額減1-未達查核"),
    pytest.param(10_000_000, "勞務", Y2026, "audit", id="勞務恰為查核金額-採購法第12條"),
    pytest.param(19_999_999, "勞務", Y2026, "audit", id="勞務巨額減1"),
    pytest.param(20_000_000, "勞務", Y2026, "large", id="勞務恰為二千萬-認定標準第8條第3款"),
    pytest.param(49_999_999, "工程", Y2026, "announcement", id="工程查核金額減1"),
    pytest.param(50_000_000, "工程", Y2026, "audit", id="工程恰為查核金額5000萬-採購法第12條"),
    pytest.param(50_000_000, "財物", Y2026, "audit", id="財物恰為查核金額5000萬"),
    pytest.param(99_999_999, "財物", Y2026, "audit", id="財物巨額減1"),
    pytest.param(100_000_000, "財物", Y2026, "large", id="財物恰為一億-認定標準第8條第2款"),
    pytest.param(150_000_000, "工程", Y2026, "audit", id="1.5億工程-未達巨額"),
    pytest.param(199_999_999, "工程", Y2026, "audit", id="工程巨額減1"),
    pytest.param(200_000_000, "工程", Y2026, "large", id="工程恰為二億-認定標準第8條第1款"),
    pytest.param(100_000, "財物", OLD, "small", id="2022-10萬-小額"),
    pytest.param(100_001, "財物", OLD, "below_announcement", id="2022-100001-逾小額"),
    pytest.param(120_000, "財物", OLD, "below_announcement", id="2022-12萬-未達公告金額"),
    pytest.param(120_000, "財物", NEW, "small", id="2023-12萬-小額"),
    pytest.param(1_000_000, "工程", OLD, "announcement", id="2022-100萬-公告金額以上"),
    pytest.param(1_000_000, "工程", NEW, "below_announcement", id="2023-100萬-未達公告金額"),
    pytest.param(1_499_999, "勞務", OLD, "announcement", id="2022-149萬-公告金額以上"),
    pytest.param("250萬元", "勞務", Y2026, "announcement", id="文字金額250萬元"),
]


@pytest.mark.parametrize("amount,category,on,expected", TIER_CASES)
def test_tier_table(amount: int | str, category: Category, on: date, expected: str) -> None:
    r = procurement_tier(amount, category, on)
    assert r.details.tier == expected
    for c in r.citations:
        assert c.quote in raw_article(c.title, c.no), c


def test_classify_boundaries_pure() -> None:
    # 小額 以下 / 公告金額 以上 / 查核金額 以上 / 巨額 以上 — each bound is inclusive on the upper tier side
    # except 小額, which includes its own bound (「十分之一以下」).
    b = dict(small=10, announcement=100, audit=1000, large=5000)
    assert [classify(a, **b) for a in (0, 10, 11, 99, 100, 999, 1000, 4999, 5000)] == [
        "small", "small", "below_announcement", "below_announcement", "announcement", "announcement",
        "audit", "audit", "large"]


def test_answer_and_thresholds_in_result() -> None:
    r = procurement_tier(2_500_000, "勞務", Y2026)
    assert r.answer_zh.startswith("新臺幣250萬元之勞務採購屬「公告金額以上未達查核金額之採購」")
    assert r.details.tier_name == "公告金額以上未達查核金額"
    used = {t.kind: t for t in r.details.thresholds}
    assert used["公告金額"].amount == 1_500_000 and used["公告金額"].effective_from == NEW
    assert used["查核金額"].amount == 10_000_000 and used["查核金額"].category == "勞務"
    assert used["巨額"].amount == 20_000_000
    assert used["小額"].amount == 150_000
    assert all(t.source for t in used.values())
    keys = {(c.title, c.no) for c in r.citations}
    assert ("政府採購法", "13") in keys and ("政府採購法施行細則", "6") in keys


def test_old_thresholds_reported_before_2023() -> None:
    r = procurement_tier(1_200_000, "財物", OLD)
    used = {t.kind: t.amount for t in r.details.thresholds}
    assert used["公告金額"] == 1_000_000 and used["小額"] == 100_000


def test_large_cites_category_item() -> None:
    r = procurement_tier(100_000_000, "財物", Y2026)
    assert any(c.no == "8" and "財物採購，為新台幣一億元" in c.quote for c in r.citations)


def test_local_small_purchase_note_for_below_tiers() -> None:
    r = procurement_tier(100_000, "財物", Y2026)
    assert any("直轄市" in n for n in r.notes)


@pytest.mark.parametrize("amount,category,on,fragment", [
    pytest.param(-1, "財物", Y2026, "非負", id="負數"),
    pytest.param(100, "服務", Y2026, "工程、財物或勞務", id="未知類別"),
    pytest.param(True, "財物", Y2026, "整數", id="布林值"),
    pytest.param(1.5, "財物", Y2026, "整數", id="浮點數"),
    pytest.param("一萬五", "財物", Y2026, "不明確", id="口語金額不明確"),
    pytest.param(100, "財物", date(1990, 1, 1), "未涵蓋", id="門檻資料前之日期"),
    pytest.param(100, "財物", "2026-01-01", "日期", id="日期為字串"),
])
def test_bad_input_raises_zh(amount: Any, category: Any, on: Any, fragment: str) -> None:
    with pytest.raises(CalculatorError) as exc:
        procurement_tier(amount, category, on)  # deliberately ill-typed values
    assert fragment in str(exc.value)


def test_procurement_amount_rent_and_expansion() -> None:
    # 施行細則第6條第6款: 租期不確定者，以每月租金之四十八倍認定之
    r = procurement_amount(0, monthly_rent_indefinite_term=50_000)
    assert r.details.amount == 2_400_000
    assert procurement_tier(r.details.amount, "財物", Y2026).details.tier == "announcement"
    # 第6條第3款: 預估選購或擴充項目所需金額計入
    r2 = procurement_amount(1_200_000, optional_or_expansion=600_000)
    assert r2.details.amount == 1_800_000
    assert any("後續擴充" in c.quote for c in r2.citations)
    with pytest.raises(CalculatorError):
        procurement_amount(100, monthly_rent_indefinite_term=50_000)


def test_numeric_dev_tier_items_agree() -> None:
    """Cross-check against the shared numeric dev set (items that give an explicit amount)."""
    path: Path = DATASETS_DIR / "numeric_dev.jsonl"
    if not path.exists():
        pytest.skip("numeric dev set not present")
    checked = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        args = item.get("args") or {}
        if item.get("tool") != "procurement_tier" or "amount" not in args:
            continue
        r = procurement_tier(args["amount"], args["category"], Y2026)
        assert r.details.tier_name == item["expected"]["tier"], item["id"]
        checked += 1
    assert checked >= 10
