"""Question understanding and evidence lines that conversations rely on: tier phrases read whole, colloquial
amounts, a follow-up's topic words without its filler, a 目 quoted under its 款 heading, and lines that
carry the kind of value asked for."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.dialogue import topic_terms
from assistant.evidence import best_lines
from assistant.nlu import extract_amounts, understand
from core.access import AccessLevel
from core.vocab import Domain, Unit
from knowledge.base import Article
from knowledge.lexicon import latin_words


@pytest.mark.parametrize("text,tier", [
    ("公開招標，查核金額以上未達巨額的案子，等標期最少幾天？", "audit"),  # not 巨額: one phrase, longest first
    ("公告金額以上未達查核金額的財物", "announcement"),
    ("未達公告金額的採購", "below_announcement"),
    ("巨額採購要報核嗎", "large"),
    ("查核金額以上的工程", "audit"),
    ("小額採購", "small"),
])
def test_tier_phrases_are_read_longest_first(text: str, tier: str) -> None:
    assert understand(text).tier_word == tier


@pytest.mark.parametrize("text,amounts", [
    ("預算是2萬5", [25_000]),  # colloquial: the digit after 萬 is thousands
    ("預算1億2的工程", [120_000_000]),
    ("2萬5,000元", [25_000]),
    ("2萬5千", [25_000]),
    ("預算2萬，5年", [20_000]),  # a digit with a unit of its own is not the amount's tail
    ("250萬5年的契約", [2_500_000]),
])
def test_colloquial_amount_tails(text: str, amounts: list[int]) -> None:
    assert extract_amounts(text) == amounts


def _tokenize(text: str) -> list[str]:
    # stands in for the corpus tokenizer: words of two characters, with fragments like the real one makes
    return [text[i:i + 2] for i in range(0, len(text) - 1, 2)]


@pytest.mark.parametrize("text,absent", [
    ("那如果是工程呢？", {"如果", "那如"}),
    ("如果他前幾年已經被刊登過呢？", {"如果", "他前", "幾年", "已經"}),
    ("那演練多久要辦一次？", {"多久", "一次"}),
])
def test_topic_terms_drop_filler_and_frame_words(text: str, absent: set[str]) -> None:
    assert not set(topic_terms(text, lambda s: [*_tokenize(s), "如果", "他前", "幾年", "已經", "多久", "一次"])) & absent


def test_topic_terms_keep_a_short_entity_whole() -> None:
    assert topic_terms("那複訓呢？", lambda s: list(s)) == ["複訓"]  # single characters: the entity itself


def test_latin_abbreviations_are_question_words() -> None:
    assert latin_words("那AED呢？ＡＥＤ和aed") == ["aed"]
    assert latin_words("NT$150萬的財物") == []


def _article(text: str) -> Article:
    return Article(doc_id="d", title="某辦法", no="12", label="第12條", chapter=[], text=text,
                   domain=Domain.emergency, unit=Unit.article, version="v", amended=date(2024, 1, 1),
                   effective=None, partial=False, access_level=AccessLevel.public, source_path="x")


def test_a_subitem_is_quoted_under_its_item_heading() -> None:
    art = _article("各類場所按用途分類如下：\n一、甲類場所：\n（一）電影院、歌廳。\n二、乙類場所：\n（一）車站。\n（二）辦公室、診所。")
    lines = best_lines(art, ["辦公室"], {"辦公室": 1.0})
    assert [ln.text for ln in lines] == ["各類場所按用途分類如下：", "二、乙類場所：", "（二）辦公室、診所。"]


def test_lines_that_carry_the_value_asked_come_first() -> None:
    art = _article("本法所定消防防護計畫，應包括下列事項：\n一、自衛消防編組。\n二、滅火訓練之實施；每半年至少應舉辦一次。"
                   "\n三、消防防護計畫之其他事項。")
    w = {"消防防護計畫": 4.0, "事項": 2.0, "一次": 3.0}
    plain = [ln.text for ln in best_lines(art, list(w), w)]
    asked = [ln.text for ln in best_lines(art, list(w), w, kind="duration")]
    assert not any("每半年" in t for t in plain)
    assert any("每半年" in t for t in asked)


@pytest.mark.parametrize("text,asked", [
    ("公告金額以上的財物公開招標，預算600萬，等標期要抓幾天？", False),  # the tier describes the case
    ("預算4,800萬的案子，算不算查核金額以上？", True),
    ("預算4,800萬的案子，算不算查核金額以上？等標期幾天？", True),
    ("600萬的財物是查核金額嗎", True),  # no other calculation asked: the tier is the question
])
def test_a_tier_named_to_describe_the_case_is_not_the_question(text: str, asked: bool) -> None:
    from assistant.nlu import asks_tier

    assert asks_tier(understand(text)) is asked


def test_a_follow_up_with_a_question_of_its_own_does_not_inherit_the_calculation() -> None:
    from assistant.conversations import Facts, resolve

    previous = Facts(query="預算260萬的財物，等標期", topic="等標期", amount=2_600_000, category="財物",
                     intents=["tender_period"])
    _q, swap = resolve(understand("那如果有電子領標呢？"), previous)
    assert swap.intents == ["tender_period"]  # the last question again, with one more fact
    _q, own = resolve(understand("那這次只要有一家來投就可以開標了嗎？"), previous)
    assert own.intents == []
