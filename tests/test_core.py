"""core: the shared primitives (numerals, dates, text, access levels, vocabularies, 項/款/目 numbering)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.access import AccessLevel, allowed_levels
from core.citation import Line, article_label, article_lines, line_at
from core.dates import parse_date, roc_date, roc_datetime
from core.numerals import cn_to_int, int_to_cn, label_int
from core.text import normalize_query, to_halfwidth
from core.vocab import QUESTION_WORDS, STOPWORDS


@pytest.mark.parametrize(("text", "value"), [
    ("二十二", 22), ("一百零一", 101), ("十", 10), ("２２", 22), ("壹佰伍拾", 150), ("2萬", 20_000), ("一億五千萬", 150_000_000),
])
def test_cn_to_int(text: str, value: int) -> None:
    assert cn_to_int(text) == value


def test_numerals_round_trip_and_errors() -> None:
    assert all(cn_to_int(int_to_cn(n)) == n for n in range(1000))
    assert label_int("二 十") == 20
    with pytest.raises(ValueError):
        cn_to_int("第")
    with pytest.raises(ValueError):
        int_to_cn(-1)


@pytest.mark.parametrize("text", ["2024-05-01", "民國113年5月1日", "113.05.01", "113/5/1", "一一三年五月一日",
                                  "2024年5月1日", "中華民國一百一十三年五月一日"])
def test_parse_date_forms(text: str) -> None:
    assert parse_date(text) == date(2024, 5, 1)


def test_dates_roc_text_and_errors() -> None:
    assert parse_date(None) is None and parse_date(" ") is None
    assert roc_date(date(2024, 5, 1)) == "民國113年5月1日"
    assert roc_datetime(datetime(2024, 5, 1, 14, 30)) == "民國113年5月1日下午2時30分"
    assert roc_datetime(datetime(2024, 5, 1, 9, 5)) == "民國113年5月1日上午9時05分"
    with pytest.raises(ValueError, match="無法辨識的日期"):
        parse_date("下週一")


def test_text_normalisation() -> None:
    assert to_halfwidth("Ａ１２％\u3000") == "A12% "
    assert normalize_query("採购法  第２２条") == "採購法 第22條"
    assert normalize_query("巨额采购") == "巨額採購"  # 巨 is kept (a Traditional character the laws use)


def test_access_levels_by_role() -> None:
    assert allowed_levels(None) is None
    assert allowed_levels("hotline") == {AccessLevel.public}
    assert allowed_levels("admin") == set(AccessLevel)
    with pytest.raises(ValueError, match="未知的角色"):
        allowed_levels("guest")


def test_question_words_extend_the_stopwords() -> None:
    assert STOPWORDS <= QUESTION_WORDS and "機關" in QUESTION_WORDS and "機關" not in STOPWORDS


def test_article_label() -> None:
    assert article_label("22-1") == "第22條之1"
    assert article_label("5", "point") == "第5點"
    assert article_label("貳/三", "section") == "貳/三"


ARTICLE = "機關辦理採購，依下列規定：\n一、甲。\n（一）子目。\n（二）丑目。\n二、乙。\n\n前項規定之例外。"


def test_article_lines_number_paragraphs_items_and_subitems() -> None:
    assert article_lines(ARTICLE) == [
        Line("機關辦理採購，依下列規定：", 1, None, None), Line("一、甲。", 1, 1, None),
        Line("（一）子目。", 1, 1, 1), Line("（二）丑目。", 1, 1, 2), Line("二、乙。", 1, 2, None),
        Line("前項規定之例外。", 2, None, None)]
    # a first line that looks like an item still opens the first 項
    assert article_lines("一、甲。\n二、乙。") == [Line("一、甲。", 1, None, None), Line("二、乙。", 1, 2, None)]


def test_line_at_finds_the_numbered_line_of_an_offset() -> None:
    assert line_at(ARTICLE, ARTICLE.index("丑目")) == Line("（二）丑目。", 1, 1, 2)
    assert line_at(ARTICLE, ARTICLE.index("例外")) == Line("前項規定之例外。", 2, None, None)
    assert line_at(ARTICLE, ARTICLE.index("\n\n") + 1) is None  # the blank line
    assert line_at(ARTICLE, len(ARTICLE) + 5) is None
