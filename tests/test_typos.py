"""The typo fixer never rewrites a word of the corpus: checked over the whole shipped corpus vocabulary."""

from __future__ import annotations

import pytest

from ingest.chunking import chunk_document
from ingest.loaders import load_path
from ingest.structure import parse_structure
from knowledge.base import corpus_vocabulary
from knowledge.indexer import Indexer
from knowledge.lexical import LexicalIndex, Tokenizer, lexical_entries
from knowledge.shipped import SHIPPED_SOURCES
from knowledge.thesaurus import correct_typos
from mishu.settings import Settings

VALID = ["收費標準", "招標單位", "決標價格", "得標價", "申辦", "申述"]


@pytest.fixture(scope="module")
def vocabulary() -> frozenset[str]:
    """The vocabulary the running system uses, built the same way from every shipped source (jieba words
    of the lexical index over all chunks, plus the lexicon), without embedding anything."""
    files, failures = Indexer.discover([SHIPPED_SOURCES])
    assert not failures
    s = Settings()
    max_bytes = int(s.max_file_mb * 1024 * 1024)
    chunks = [
        c
        for _, f in files
        for ld in load_path(f, max_bytes=max_bytes)
        for c in chunk_document(parse_structure(ld), s.chunk_max_tokens)
    ]
    entries = lexical_entries(chunks)
    lex = LexicalIndex.build([i for i, _ in entries], [t for _, t in entries], Tokenizer())
    vocab = corpus_vocabulary(lex)
    assert len(vocab) > 10_000
    return vocab


def test_no_corpus_word_is_rewritten(vocabulary: frozenset[str]) -> None:
    changed = {w: correct_typos(w, vocabulary) for w in sorted(vocabulary)}
    assert {w: c for w, c in changed.items() if c != w} == {}


@pytest.mark.parametrize("word", VALID)
def test_valid_words_stay_as_typed(vocabulary: frozenset[str], word: str) -> None:
    for question in (word, f"請問{word}是什麼", f"廠商問{word}要怎麼處理？"):
        assert correct_typos(question, vocabulary) == question


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("壓標金最多可以收多少", "押標金最多可以收多少"),
        ("費標之後押標金要退嗎", "廢標之後押標金要退嗎"),
        ("擋案要保存幾年", "檔案要保存幾年"),
        ("壓標金額度上限", "押標金額度上限"),  # 金額 after the typo leaves the changed 壓 alone
    ],
)
def test_typos_outside_the_vocabulary_are_fixed(vocabulary: frozenset[str], typed: str, fixed: str) -> None:
    assert correct_typos(typed, vocabulary) == fixed


def test_no_vocabulary_no_rewrite() -> None:
    assert correct_typos("壓標金最多可以收多少", frozenset()) == "壓標金最多可以收多少"


def test_assistant_keeps_valid_words(small_container: object) -> None:
    from assistant.nlu import understand
    from mishu.app import Container

    assert isinstance(small_container, Container)
    vocab = small_container.kb.vocabulary()
    assert vocab
    assert understand("招標單位可以指定廠牌嗎", vocab).text == "招標單位可以指定廠牌嗎"
    assert understand("壓標金最多可以收多少", vocab).text.startswith("押標金")
