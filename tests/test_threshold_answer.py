"""A threshold asked directly is answered with the table's figure and the article that sets it."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.calculators import ThresholdTable
from assistant.calculators.articles import ArticleIndex
from assistant.nlu import understand
from assistant.threshold_answer import asked_threshold, threshold_answer, threshold_calls

ON = date(2026, 12, 1)


@pytest.mark.parametrize(("question", "kind"), [
    ("現在小額採購是多少錢以下？", "小額"),
    ("公告金額現在是多少？", "公告金額"),
    ("工程的查核金額是多少", "查核金額"),
    ("巨額採購的門檻是多少", "巨額"),
])
def test_threshold_questions_are_recognised(question: str, kind: str) -> None:
    assert asked_threshold(understand(question)) == kind


@pytest.mark.parametrize("question", [
    "250萬的勞務採購是哪一級距？",  # an amount: a tier question
    "公告金額以上未達查核金額的公開招標，等標期最少要幾天？",  # a tender period
    "未達公告金額的案子，廠商異議被駁回還可以去申訴嗎",  # names a threshold, asks no figure
    "巨額採購的文件要保存幾年？",
])
def test_other_questions_are_not_threshold_questions(question: str) -> None:
    assert threshold_calls(understand(question)) == []


def test_figures_come_from_the_table_in_force_with_verbatim_rules() -> None:
    table, articles = ThresholdTable.load(), ArticleIndex.load()
    small = threshold_answer("小額", ON, table=table, articles=articles)
    assert "15萬元以下" in small.answer_zh
    assert {(c.title, c.no) for c in small.citations} == {("政府採購法", "47"), ("中央機關未達公告金額採購招標辦法", "5")}
    assert "10萬元" in threshold_answer("小額", date(2020, 1, 1), table=table, articles=articles).answer_zh
    audit = threshold_answer("查核金額", ON, table=table, articles=articles)
    assert "工程採購新臺幣5,000萬元" in audit.answer_zh and "勞務採購新臺幣1,000萬元" in audit.answer_zh
    assert threshold_answer("查核金額", ON, "勞務", table=table, articles=articles).details["amounts"] == {"勞務": 10_000_000}
    large = threshold_answer("巨額", ON, "財物", table=table, articles=articles)
    assert "1億元" in large.answer_zh
    for c in [*small.citations, *audit.citations, *large.citations]:
        assert c.quote in articles.text(c.title, c.no)


def test_several_categories_named_lists_every_category() -> None:
    assert threshold_calls(understand("查核金額是什麼？工程跟財物的查核金額是多少？")) == [
        ("procurement_threshold", {"kind": "查核金額"})]
    assert threshold_calls(understand("勞務的查核金額多少")) == [
        ("procurement_threshold", {"kind": "查核金額", "category": "勞務"})]
