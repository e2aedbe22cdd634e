"""A conversation's terms keep its topic: a question that names its setting first and its topic last
(「…預算300萬，開標的時候要請會計室跟政風來監辦嗎？」) keeps the domain's term (監辦) among its topic terms, and
a long follow-up's incidental words (第一次、根本、沒有) do not push it out of the terms that later elliptical
turns search with. Real tokenizer (jieba with the domain lexicon), real understanding and resolution."""

from __future__ import annotations

from functools import partial

import pytest

from assistant.conversations import CONTEXT_TERMS, resolve
from assistant.dialogue import domain_word, topic_terms
from assistant.nlu import understand
from knowledge.lexical import Tokenizer


@pytest.fixture(scope="module")
def tokenize() -> Tokenizer:
    return Tokenizer()


SETTING_FIRST = "我們要辦一個財物採購，預算300萬，開標的時候要請會計室跟政風來監辦嗎？"


def test_topic_terms_keep_the_domain_term_a_long_question_ends_with(tokenize: Tokenizer) -> None:
    terms = topic_terms(SETTING_FIRST, tokenize)
    assert "監辦" in terms
    assert len(terms) <= 6
    # the kept words stay in question order
    assert terms == [t for t in dict.fromkeys(tokenize(SETTING_FIRST)) if t in terms]


def test_a_short_question_keeps_all_its_words(tokenize: Tokenizer) -> None:
    assert topic_terms("檔案銷毀多久辦一次？", tokenize) == topic_terms("檔案銷毀多久辦一次？", tokenize, limit=99)


def test_the_topic_outlives_a_long_follow_up(tokenize: Tokenizer) -> None:
    terms = partial(topic_terms, tokenize=tokenize)
    turns = [SETTING_FIRST, "如果第一次根本沒有廠商投標就流標了，流標那次也一定要有人監辦嗎？", "可是廠商之前有提申訴、還沒處理完呢？"]
    previous = None
    contexts = []
    for q in turns:
        _query, facts = resolve(understand(q), previous, terms=terms)
        contexts.append(facts)
        previous = facts
    # the long follow-up kept the conversation's terms (it is not searched with them: it is not elliptical)
    assert "監辦" in contexts[1].context.split()
    assert contexts[1].search_context == ""
    # the short follow-up after it searches with the topic
    assert "監辦" in contexts[2].search_context.split()
    for facts in contexts:
        words = facts.context.split()
        assert len(words) <= CONTEXT_TERMS
        # the domain's terms come first
        flags = [domain_word(w) for w in words]
        assert flags == sorted(flags, reverse=True)
