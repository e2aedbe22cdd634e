"""Reusable contract test classes (haystack's ``testing/document_store.py`` pattern): each holds the
behavioural tests a store must pass, and each backend's test class inherits one and says how to build the
store. A new backend (pgvector, another Chroma mode) is certified by one more subclass.

- ``DenseSearchContract``: a dense channel over vector entries (a chunk's whole-text vector plus one per 項/款
  line): best first, one hit per chunk, cosine similarities, ``n`` respected, empty index. Backends:
  embedded Chroma, a Chroma server, and the exact dense matrix the embedded default reads from
  (``knowledge.dense``).
- ``VectorStoreContract``: the writable ``knowledge.vectorstore.VectorStore`` on top of it: idempotent
  upsert, delete by chunk (all its vectors), ``ids`` (chunks) vs ``count`` (vectors).
- ``ConversationStoreContract``: ``assistant.conversations.ConversationStore`` on an SQLAlchemy URL.

Vectors come from ``tests.fakes.HashingEmbedder``: the contracts check bookkeeping and the ordering of
given vectors, not how well a model ranks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.conversations import ConversationRow, ConversationStore, Facts
from core.vocab import Domain, Unit
from ingest.models import Chunk
from knowledge.indexer import vector_entries
from knowledge.vectorstore import VectorEntry, VectorStore
from tests.fakes import HashingEmbedder

Search = Callable[[np.ndarray, int], list[tuple[str, float]]]

TEXTS = {
    "1": "押標金的額度以預算金額百分之五為原則\n押標金得以現金、金融機構簽發之本票或支票繳納",
    "2": "等標期不得少於十四日",
    "3": "檔案保存年限屆滿應製作銷毀目錄",
}


def make_chunk(cid: str, text: str) -> Chunk:
    return Chunk(chunk_id=cid, doc_id="d", title="測試法", domain=Domain.procurement, unit=Unit.article, no=cid,
                 label=f"第{cid}條", chapter="", text=text, source_file="x", content_hash="h", version="v",
                 n_tokens=10)


class DenseSearchContract:
    """Subclasses implement ``index(chunks)``: index the vector entries the Indexer derives from ``chunks``
    (``knowledge.indexer.vector_entries``) with ``self.embedder`` and return the search function."""

    embedder = HashingEmbedder()

    def index(self, chunks: list[Chunk]) -> Search:
        raise NotImplementedError

    def chunks(self) -> list[Chunk]:
        return [make_chunk(k, v) for k, v in TEXTS.items()]

    def test_an_entrys_own_vector_finds_its_chunk_first(self) -> None:
        search = self.index(self.chunks())
        for e in vector_entries(self.chunks()):
            hits = search(self.embedder.embed_query(e.text), 3)
            assert hits[0][0] == e.chunk.chunk_id
            assert hits[0][1] == pytest.approx(1.0, abs=1e-4)

    def test_one_hit_per_chunk_best_first_with_cosine_scores(self) -> None:
        chunks = self.chunks()
        assert len(vector_entries(chunks)) > len(chunks)  # chunk 1 has line vectors too
        hits = self.index(chunks)(self.embedder.embed_query("押標金"), 10)
        assert sorted(cid for cid, _ in hits) == ["1", "2", "3"]  # line vectors collapse into their chunk
        scores = [s for _, s in hits]
        assert scores == sorted(scores, reverse=True)
        assert all(-1.0 - 1e-6 <= s <= 1.0 + 1e-6 for s in scores)

    def test_n_limits_the_hits(self) -> None:
        search = self.index(self.chunks())
        assert len(search(self.embedder.embed_query("等標期"), 2)) == 2
        assert len(search(self.embedder.embed_query("等標期"), 1)) == 1

    def test_empty_index_returns_nothing(self) -> None:
        assert self.index([])(self.embedder.embed_query("任何問題"), 5) == []


class VectorStoreContract(DenseSearchContract):
    """Subclasses implement ``make_store()``: a new, empty store that embeds with ``self.embedder``."""

    def make_store(self) -> VectorStore:
        raise NotImplementedError

    def _add(self, store: VectorStore, chunks: list[Chunk]) -> list[VectorEntry]:
        entries = vector_entries(chunks)
        store.add(entries, self.embedder.embed_documents([e.text for e in entries]))
        return entries

    def index(self, chunks: list[Chunk]) -> Search:
        store = self.make_store()
        if chunks:
            self._add(store, chunks)
        return store.query

    def test_ids_are_chunks_and_count_is_vectors(self) -> None:
        store = self.make_store()
        entries = self._add(store, self.chunks())
        assert store.ids() == {"1", "2", "3"}
        assert store.count() == len(entries) == 5  # chunk 1: whole text and its two lines

    def test_adding_the_same_entries_again_changes_nothing(self) -> None:
        store = self.make_store()
        self._add(store, self.chunks())
        self._add(store, self.chunks())
        assert store.ids() == {"1", "2", "3"} and store.count() == 5

    def test_delete_removes_every_vector_of_a_chunk(self) -> None:
        store = self.make_store()
        self._add(store, self.chunks())
        store.delete(["1"])
        assert store.ids() == {"2", "3"} and store.count() == 2
        line = vector_entries(self.chunks())[1]
        assert line.vec_id == "1:0"
        assert all(cid != "1" for cid, _ in store.query(self.embedder.embed_query(line.text), 10))

    def test_empty_store_and_deleting_what_is_not_there(self) -> None:
        store = self.make_store()
        assert store.ids() == set() and store.count() == 0
        store.delete(["nope"])  # not an error
        assert store.query(self.embedder.embed_query("任何問題"), 5) == []


class ConversationStoreContract:
    """Subclasses implement ``url(tmp_path)``: an SQLAlchemy URL of an empty database the store may own."""

    def url(self, tmp_path: Path) -> str:
        raise NotImplementedError

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[ConversationStore]:
        store = ConversationStore(self.url(tmp_path))
        yield store
        ConversationRow.metadata.drop_all(store.engine)
        store.engine.dispose()

    def test_a_new_conversation_exists_and_has_no_turns(self, store: ConversationStore) -> None:
        cid = store.new(caller="k:甲")
        assert store.exists(cid) and not store.exists("nope")
        assert store.turns(cid) == [] and store.last_facts(cid) is None
        assert store.new() != cid

    def test_turns_are_numbered_kept_in_order_and_round_trip(self, store: ConversationStore) -> None:
        cid = store.new()
        first = Facts(query="250萬的勞務案等標期幾天", topic="等標期幾天", amount=2_500_000, category="勞務",
                      intents=["tender_period"], titles=["招標期限標準"], context="等標期",
                      search_context="not stored", state={"frame": "tender_period"})
        assert store.add_turn(cid, "250萬的勞務案等標期幾天？", "250萬 勞務 等標期", first,
                              {"answer_zh": "等標期 14 日", "citations": [{"title": "招標期限標準", "no": "2"}]}) == 1
        second = Facts(query="那押標金呢", topic="押標金")
        assert store.add_turn(cid, "那押標金呢？", "250萬 勞務 押標金", second, {"answer_zh": "押標金…"}) == 2
        turns = store.turns(cid)
        assert [t["turn"] for t in turns] == [1, 2]
        assert turns[0]["question"] == "250萬的勞務案等標期幾天？" and turns[0]["resolved"] == "250萬 勞務 等標期"
        assert turns[0]["answer"]["citations"] == [{"title": "招標期限標準", "no": "2"}]
        assert all(isinstance(t["at"], str) for t in turns)
        assert store.last_facts(cid) == second  # the latest turn's facts
        store.add_turn(cid, "q", "q", first, {})
        assert store.last_facts(cid) == Facts(**{**first.__dict__, "search_context": ""})  # not stored

    def test_conversations_do_not_share_turns(self, store: ConversationStore) -> None:
        a, b = store.new(), store.new()
        store.add_turn(a, "甲", "甲", Facts(query="甲"), {})
        assert store.add_turn(b, "乙", "乙", Facts(query="乙"), {}) == 1
        assert [t["question"] for t in store.turns(a)] == ["甲"]
        last = store.last_facts(b)
        assert last is not None and last.query == "乙"

    def test_concurrent_turns_of_one_conversation_get_distinct_numbers(self, store: ConversationStore) -> None:
        cid = store.new()
        numbers: list[int] = []
        errors: list[BaseException] = []

        def add(i: int) -> None:
            try:
                numbers.append(store.add_turn(cid, f"問題{i}", f"問題{i}", Facts(query=str(i)), {}))
            except BaseException as e:  # reported by the assertion below
                errors.append(e)

        threads = [threading.Thread(target=add, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert sorted(numbers) == [1, 2, 3, 4, 5, 6]
        assert [t["turn"] for t in store.turns(cid)] == [1, 2, 3, 4, 5, 6]
