"""The rule tables of the tender-period and guarantee calculators: the shipped tables load with every quote
verbatim, and a malformed or inconsistent table fails at load with a message that says what is wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.calculators import ArticleIndex
from assistant.calculators.guarantee_rules import GUARANTEE_RULES_PATH, load_guarantee_rules
from assistant.calculators.rule_tables import RuleTableError
from assistant.calculators.tender_rules import METHODS, TENDER_RULES_PATH, load_tender_rules
from tests.helpers import raw_article

Change = Callable[[dict[str, Any]], None]


def _variant(tmp_path: Path, shipped: Path, change: Change) -> Path:
    data = json.loads(shipped.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / shipped.name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_shipped_tender_rules_load_and_quote_the_standard() -> None:
    rules = load_tender_rules(ArticleIndex.load())
    assert sorted(m.method for m in rules.methods) == sorted(METHODS)
    assert [r.when for r in rules.article9] == ["public_inspection", "electronic_download", "electronic_bid"]
    art2 = rules.tier_tables["article2"]
    assert [art2.tiers[t].days for t in ("small", "announcement", "audit", "large")] == [7, 14, 21, 28]
    for item in art2.tiers.values():
        assert item.quote in raw_article("招標期限標準", "2")


def test_shipped_guarantee_rules_load_with_their_percentages() -> None:
    rules = load_guarantee_rules(ArticleIndex.load())
    assert [(c.kind, c.percent) for c in rules.caps] == [("押標金", 5), ("履約保證金", 10), ("保固保證金", 3)]
    assert rules.caps[0].absolute_cap == 50_000_000
    assert rules.price_difference.percent == 80
    for cap in rules.caps:
        assert cap.quote.text in raw_article("押標金保證金暨其他擔保作業辦法", cap.quote.no)


def _drop_method(d: dict[str, Any]) -> None:
    d["methods"] = [m for m in d["methods"] if m["method"] != "公開招標"]


def _drop_tier(d: dict[str, Any]) -> None:
    del d["tier_tables"]["article3"]["tiers"]["large"]


def _bad_quote(d: dict[str, Any]) -> None:
    d["article9"][1]["quote"]["text"] = "等標期得縮短四日。"


def _unknown_key(d: dict[str, Any]) -> None:
    d["urgent"]["flor"] = 10


def _floors_out_of_order(d: dict[str, Any]) -> None:
    d["article9"].reverse()


def _blank_reason(d: dict[str, Any]) -> None:
    d["retender"]["reason"] = " "


def _retender_floors_swapped(d: dict[str, Any]) -> None:
    d["retender"]["floor_below_announcement"] = 8


def _table_and_days(d: dict[str, Any]) -> None:
    d["methods"][0]["base"]["days"] = 14


def _decreasing_days(d: dict[str, Any]) -> None:
    d["tier_tables"]["article2"]["tiers"]["large"]["days"] = 6


@pytest.mark.parametrize("change,message", [
    (_drop_method, "招標方式「公開招標」須恰有一條規則"),
    (_drop_tier, "缺少級距：large"),
    (_bad_quote, "引文非招標期限標準第9條之原文"),
    (_unknown_key, "flor"),
    (_floors_out_of_order, "依下限由高至低排列"),
    (_blank_reason, "must not be blank"),
    (_retender_floors_swapped, "未達公告金額下限不得高於"),
    (_table_and_days, "須恰有 table 或 days 其一"),
    (_decreasing_days, "日數須隨級距遞增"),
])
def test_malformed_tender_rules_fail_at_load(tmp_path: Path, change: Change, message: str) -> None:
    path = _variant(tmp_path, TENDER_RULES_PATH, change)
    with pytest.raises(RuleTableError, match="規則表") as err:
        load_tender_rules(ArticleIndex.load(), path)
    assert message in str(err.value) and str(path) in str(err.value)


def _drop_cap(d: dict[str, Any]) -> None:
    d["caps"] = d["caps"][:2]


def _percent_over_100(d: dict[str, Any]) -> None:
    d["caps"][1]["reductions"][0]["percent"] = 150


def _unknown_waiver(d: dict[str, Any]) -> None:
    d["waivers"][2]["when"] = "urgent"


def _bad_guarantee_quote(d: dict[str, Any]) -> None:
    d["caps"][0]["quote"]["text"] = "以不逾預算金額之百分之六為原則"


def _cap_without_text(d: dict[str, Any]) -> None:
    d["caps"][0]["absolute_cap_text"] = ""


@pytest.mark.parametrize("change,message", [
    (_drop_cap, "caps 須依序為押標金、履約保證金、保固保證金各一條"),
    (_percent_over_100, "less than or equal to 100"),
    (_unknown_waiver, "waivers.2.when"),
    (_bad_guarantee_quote, "引文非押標金保證金暨其他擔保作業辦法第9條之原文"),
    (_cap_without_text, "absolute_cap 與 absolute_cap_text 須同時提供"),
])
def test_malformed_guarantee_rules_fail_at_load(tmp_path: Path, change: Change, message: str) -> None:
    path = _variant(tmp_path, GUARANTEE_RULES_PATH, change)
    with pytest.raises(RuleTableError, match="規則表") as err:
        load_guarantee_rules(ArticleIndex.load(), path)
    assert message in str(err.value)


def test_unreadable_table_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tender_period_rules.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(RuleTableError, match="規則表無法讀取") as err:
        load_tender_rules(ArticleIndex.load(), path)
    assert str(path) in str(err.value)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def two_problems(d: dict[str, Any]) -> None:
        _drop_tier(d)
        _bad_quote(d)

    path = _variant(tmp_path, TENDER_RULES_PATH, two_problems)
    with pytest.raises(RuleTableError) as err:
        load_tender_rules(ArticleIndex.load(), path)
    assert "缺少級距" in str(err.value) and "第9條之原文" in str(err.value)
