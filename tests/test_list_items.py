"""A quoted 項 lead that introduces a list is quoted with its 款 (issue 9): the lead alone answers nothing.
Real index (USE embedder, Chroma, bm25s) over one shipped rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
SUBSET = [SOURCES / "archives" / "records-retention-and-destruction-rules.json"]


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from mishu.app import Container
    from mishu.settings import Settings

    data = tmp_path_factory.mktemp("mishu-list-items")
    c = Container(Settings(_env_file=None, data_dir=data, sources=SUBSET))
    report = c.indexer.ingest(list(SUBSET))
    assert not report.failed, report.failed
    yield c


def test_a_list_lead_is_quoted_with_its_items(container: object) -> None:
    from assistant.evidence import with_items
    from core.citation import article_lines

    art = container.toolbox.kb.get_article("機關檔案保存年限及銷毀辦法", "13")  # type: ignore[attr-defined]
    lines = article_lines(art.text)
    lead = next(ln for ln in lines if ln.item is None and ln.text.rstrip().endswith("："))
    quoted = [ln.text for ln in with_items(art, [lead])]
    assert quoted[0] == lead.text
    assert any("焚化" in t for t in quoted)
    last = next(ln for ln in lines if ln.item is None and ln is not lead)  # not a lead: quoted alone
    assert with_items(art, [last]) == [last]


def test_the_answer_quotes_the_items_of_the_list_asked_for(container: object) -> None:
    a = container.assistant.ask("檔案銷毀的方法有哪些？")  # type: ignore[attr-defined]
    assert any("焚化" in c.quote for c in a.citations)
