"""BM25 statistics count only the documents the caller may see (review F-05, the part about document
frequencies): a hidden document must not move a visible one up or down, or a hotline caller learns, one
probe at a time, which words the secret documents use. Real ingest (sandboxed parser, real embedder, real
Chroma, real SQLite registry), real bm25s snapshots on disk, real retriever.

The corpus is built so that the hidden documents flip the order of two public ones: 「琉璃」 is in six secret
documents, so over all documents it is a common word and the public article that says 「瑪瑙」 once outranks
the one that says 「琉璃」 twice; over the public documents alone the two words are equally rare and the
article with two hits ranks first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.access import AccessLevel

PUBLIC = {AccessLevel.public}
QUERY = "琉璃與瑪瑙的保管方式"


def _md(doc_id: str, title: str, level: str, body: str) -> str:
    return (f"---\ndoc_id: {doc_id}\ntitle: {title}\ndomain: procurement\nversion: 2026-01-01\n"
            f"access_level: {level}\n---\n\n# {title}\n\n### 第 1 條\n\n{body}\n")


def _write_corpus(src: Path, *, hidden: bool) -> None:
    src.mkdir(parents=True)
    (src / "p1.md").write_text(_md("glaze-points", "臺中市政府甲種作業要點", "public",
                                   "琉璃器由總務科登記，琉璃器每年盤點一次。"), encoding="utf-8")
    (src / "p2.md").write_text(_md("agate-points", "臺中市政府乙種作業要點", "public",
                                   "瑪瑙器由秘書處登記，每年清點一次。"), encoding="utf-8")
    if hidden:
        for i in range(6):
            (src / f"s{i}.md").write_text(_md(f"secret-{i}", f"臺中市政府丙種保密要點之{i}", "secret",
                                              f"琉璃{i}號密件由主持人保管，琉璃封套不得拆封。"), encoding="utf-8")
        (src / "r.md").write_text(_md("restricted-0", "臺中市政府丁種限閱要點", "restricted",
                                      "琉璃印信由機要室保管。"), encoding="utf-8")


def _container(root: Path, *, hidden: bool) -> Any:
    from mishu.app import Container
    from mishu.settings import Settings

    src = root / "src"
    _write_corpus(src, hidden=hidden)
    c = Container(Settings(data_dir=root / "data", sources=[src]))
    report = c.indexer.ingest([src])
    assert not report.failed, report.failed
    return c


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """(a container with the hidden documents, the same corpus without them)."""
    yield (_container(tmp_path_factory.mktemp("aud-hidden"), hidden=True),
           _container(tmp_path_factory.mktemp("aud-public"), hidden=False))


def _titles(ranked: list[tuple[str, float]], c: Any) -> list[str]:
    chunks = c.kb.view().chunks
    return [chunks[cid].title for cid, _ in ranked]


def test_hidden_documents_would_flip_the_public_ranking(pair: tuple[Any, Any]) -> None:
    """The fixture does what it says: over every document the order of the two public articles flips."""
    with_hidden, _ = pair
    everyone = with_hidden.kb.lexical_for(None)
    order = [t for t in _titles(everyone.search(QUERY, 20), with_hidden) if "作業要點" in t]
    assert order[:2] == ["臺中市政府乙種作業要點", "臺中市政府甲種作業要點"]


def test_hotline_bm25_is_the_public_documents_bm25(pair: tuple[Any, Any]) -> None:
    with_hidden, public_only = pair
    mine = with_hidden.kb.lexical_for(PUBLIC)
    ref = public_only.kb.lexical_for(PUBLIC)
    assert mine is not None and ref is not None
    assert mine.n_docs == ref.n_docs == 2 and mine.df == ref.df
    got = [(with_hidden.kb.view().chunks[cid].title, round(s, 5)) for cid, s in mine.search(QUERY, 10)]
    want = [(public_only.kb.view().chunks[cid].title, round(s, 5)) for cid, s in ref.search(QUERY, 10)]
    assert got == want and got[0][0] == "臺中市政府甲種作業要點"


def test_hotline_search_is_unchanged_by_hidden_documents(pair: tuple[Any, Any]) -> None:
    """End to end through the retriever (dense + lexical + fusion + re-ranking): the same list and scores."""
    with_hidden, public_only = pair

    def ranked(c: Any) -> list[tuple[str, str, float, list[str]]]:
        return [(h.title, h.no, h.score, h.matched) for h in c.retriever.search(QUERY, 5, allowed=PUBLIC)]

    assert ranked(with_hidden) == ranked(public_only)
    assert ranked(with_hidden)[0][0] == "臺中市政府甲種作業要點"


def test_staff_statistics_count_restricted_but_not_secret(pair: tuple[Any, Any]) -> None:
    with_hidden, _ = pair
    staff = with_hidden.kb.lexical_for({AccessLevel.public, AccessLevel.restricted})
    assert staff is not None and staff.n_docs == 3 and staff.df.get("#琉璃") == 2  # p1 and the restricted one
    assert with_hidden.kb.lexical_for(None).df.get("#琉璃") == 8  # and the six secret ones


def test_audiences_are_in_the_snapshot_on_disk_and_reload(pair: tuple[Any, Any]) -> None:
    from knowledge.lexical import AUDIENCE_DIR, LexicalIndex

    with_hidden, public_only = pair
    snap = with_hidden.registry.get_state("lexical_snapshot")
    folder = with_hidden.kb.lexical_dir / snap / AUDIENCE_DIR
    assert sorted(p.name for p in folder.iterdir()) == ["public", "public+restricted"]
    loaded = LexicalIndex.load(with_hidden.kb.lexical_dir, snap, with_hidden.kb.tokenizer)
    assert loaded.levels == {"public", "restricted", "secret"}
    sub = loaded.for_levels(["public"])
    assert sub is not None and sub.df == public_only.kb.lexical_for(PUBLIC).df
    # a corpus that hides nothing from anyone writes no audience
    plain = public_only.registry.get_state("lexical_snapshot")
    assert not (public_only.kb.lexical_dir / plain / AUDIENCE_DIR).exists()


def test_a_snapshot_without_audiences_gets_one_built_for_the_caller(pair: tuple[Any, Any]) -> None:
    """Data dirs indexed before audiences existed: the statistics are rebuilt in memory, not borrowed."""
    from knowledge.lexical import LexicalIndex

    with_hidden, public_only = pair
    kb = with_hidden.kb
    view = kb.view()
    old = view.lexical
    assert old is not None
    view.lexical = LexicalIndex(old._r, old.ids, old._tok, old.df, old.n_docs)  # as an old snapshot loads
    try:
        built = kb.lexical_for(PUBLIC)
        assert built is not None and built is not old and built.df == public_only.kb.lexical_for(PUBLIC).df
        assert kb.lexical_for(PUBLIC) is built  # once per generation and level set
    finally:
        view.lexical = old


def test_hotline_vocabulary_and_refusal_features_ignore_hidden_documents(pair: tuple[Any, Any]) -> None:
    with_hidden, public_only = pair
    assert with_hidden.kb.vocabulary(PUBLIC) == public_only.kb.vocabulary(PUBLIC)
    composer, ref = with_hidden.assistant.composer, public_only.assistant.composer
    q = "琉璃封套由誰保管"
    assert composer.vocabulary_ratio(q, PUBLIC) == ref.vocabulary_ratio(q, PUBLIC)
    mine = with_hidden.assistant.ask(q, role="hotline")
    theirs = public_only.assistant.ask(q, role="hotline")
    assert (mine.refused, mine.answer) == (theirs.refused, theirs.answer)
