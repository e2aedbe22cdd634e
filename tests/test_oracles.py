"""Oracles (review F-05): refusal wording, title resolution and vocabulary are built only from the documents
the caller may see, so a hotline caller cannot tell whether a secret title exists, nor rebuild it character
by character. Real index (procurement act + a secret Markdown document), real assistant."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.access import AccessLevel

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
SECRET_TITLE = "臺中市政府採購底價琥珀保密要點"
SECRET_MD = f"""---
doc_id: secret-price-points
title: {SECRET_TITLE}
domain: procurement
version: 2026-02-01
access_level: secret
---

# {SECRET_TITLE}

### 第 1 條

底價琥珀密封袋由主持人保管，開標前不得開啟。
"""


VERSIONED_TITLE = "臺中市政府採購青瓷作業要點"


def _versioned(version: str, level: str, text: str) -> str:
    return (
        f"---\ndoc_id: celadon-points\ntitle: {VERSIONED_TITLE}\ndomain: procurement\nversion: {version}\n"
        f"amended: {version}\naccess_level: {level}\n---\n\n# {VERSIONED_TITLE}\n\n### 第 1 條\n\n{text}\n\n"
        "### 第 2 條\n\n本要點自發布日施行。\n"
    )


@pytest.fixture(scope="module")
def c(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from mishu.app import Container
    from mishu.settings import Settings

    root = tmp_path_factory.mktemp("mishu-oracles")
    src = root / "src"
    src.mkdir()
    shutil.copy(SOURCES / "procurement" / "procurement-act.json", src)
    (src / "secret-price-points.md").write_text(SECRET_MD, encoding="utf-8")
    (src / "celadon-2020.md").write_text(
        _versioned("2020-01-01", "public", "青瓷作業由總務科辦理。"), encoding="utf-8"
    )
    (src / "celadon-2025.md").write_text(
        _versioned("2025-01-01", "restricted", "青瓷作業由採購科辦理，每月稽核。"), encoding="utf-8"
    )
    container = Container(Settings(data_dir=root / "data", sources=[src]))
    assert not container.indexer.ingest([src]).failed
    yield container


def _ask(c: Any, q: str, role: str) -> Any:
    return c.assistant.ask(q, role=role)


# the review's reproduction: the real secret name vs a made-up one, and the subsequence probe
PROBES = [
    ("依臺中市政府採購底價琥珀保密要點，機關辦理採購之底價應如何保密？", "琥珀", "翡翠"),
    ("依琥珀要點，機關辦理採購之底價應如何保密？", "琥珀", "翡翠"),
]


@pytest.mark.parametrize("question,real,fake", PROBES)
@pytest.mark.parametrize("role", ["hotline", "staff"])
def test_a_hidden_title_answers_exactly_like_a_title_that_does_not_exist(
    c: Any, role: str, question: str, real: str, fake: str
) -> None:
    with_real = _ask(c, question, role)
    with_fake = _ask(c, question.replace(real, fake), role)
    assert with_real.refused == with_fake.refused
    # the verdict line (reason, whom to ask) is the same; the near-miss list after it depends on ranking only
    assert with_real.answer.splitlines()[0].replace(real, fake) == with_fake.answer.splitlines()[0]
    assert with_real.refused and "未收錄" in with_real.answer
    assert "密封袋由主持人保管" not in with_real.model_dump_json()  # nor any of its text


def test_admin_who_may_see_it_is_not_told_it_is_missing(c: Any) -> None:
    answer = _ask(c, PROBES[0][0], "admin")
    assert "未收錄" not in answer.answer


def test_vocabulary_and_titles_count_only_visible_documents(c: Any) -> None:
    composer = c.assistant.composer
    public = {AccessLevel.public}
    assert SECRET_TITLE not in c.kb.titles(public) and SECRET_TITLE in c.kb.titles(None)
    assert composer.vocabulary_ratio("琥珀", public) == 0.0  # a word only the secret document uses
    assert composer.vocabulary_ratio("琥珀", None) == 1.0
    hotline_lex, full_lex = c.kb.lexical_for(public), c.kb.lexical_for(None)
    assert hotline_lex is not None and full_lex is not None and hotline_lex is not full_lex
    assert "#琥珀" not in hotline_lex.df and "#琥珀" in full_lex.df
    assert c.kb.sees_everything(None) and not c.kb.sees_everything(public)


# --- F-23: the current version is chosen among the versions the caller may see --------------------------------
def test_a_newer_hidden_version_neither_hides_nor_outdates_the_visible_one(c: Any) -> None:
    public = {AccessLevel.public}
    seen = c.kb.get_article(VERSIONED_TITLE, "1", allowed=public)
    assert seen is not None and "總務科" in seen.text and seen.is_current
    staff = c.kb.get_article(VERSIONED_TITLE, "1", allowed={AccessLevel.public, AccessLevel.restricted})
    assert staff is not None and "採購科" in staff.text and staff.is_current
    hits = c.retriever.search("青瓷作業由哪一科辦理", 5, allowed=public)
    assert any(h.title == VERSIONED_TITLE and "總務科" in h.text for h in hits)
    assert not any("採購科辦理" in h.text for h in hits)


def test_typo_vocabulary_counts_only_visible_documents(c: Any) -> None:
    from knowledge.thesaurus import correct_typos

    public = {AccessLevel.public}
    everyone, hotline = c.kb.vocabulary(None), c.kb.vocabulary(public)
    assert "琥珀" in everyone and "琥珀" not in hotline  # a word only the secret document uses
    assert "押標金" in hotline and c.kb.vocabulary(public) is hotline  # built once per generation
    assert correct_typos("壓標金上限", hotline) == "押標金上限"
