"""The conversation-store contract (tests/contracts.py) on SQLite and, in CI, PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.contracts import ConversationStoreContract

PG_URL = os.environ.get("MISHU_TEST_PG_URL")  # a disposable database (CI: scripts/ci_services.sh)


class TestConversationsSQLite(ConversationStoreContract):
    def url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'conversations.sqlite3'}"


@pytest.mark.live
@pytest.mark.skipif(not PG_URL, reason="set MISHU_TEST_PG_URL to run on PostgreSQL")
class TestConversationsPostgres(ConversationStoreContract):
    def url(self, tmp_path: Path) -> str:
        return str(PG_URL)


def test_reads_do_not_wait_for_the_write_lock(tmp_path: Path) -> None:
    """A conversation read (exists, last_facts, turns) begins deferred: while another connection holds the
    SQLite write lock (a consultation's commit, another worker's turn) it reads the committed state at once
    instead of queueing for the lock (BEGIN IMMEDIATE would wait up to the busy timeout)."""
    import sqlite3
    import time

    from assistant.conversations import ConversationStore, Facts
    from knowledge.records.db import make_engine

    db = tmp_path / "records.sqlite3"
    store = ConversationStore(make_engine(f"sqlite:///{db}", synchronous="NORMAL"))
    cid = store.new("staff:k")
    store.add_turn(cid, "押標金上限？", "押標金上限？", Facts(query="押標金上限？"), {"answer": "a"})
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        t = time.monotonic()
        assert store.exists(cid)
        last = store.last_facts(cid)
        assert last is not None and last.query == "押標金上限？"
        assert [x["turn"] for x in store.turns(cid)] == [1]
        assert time.monotonic() - t < 2.0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert store.add_turn(cid, "q", "q", Facts(query="q"), {"answer": "b"}) == 2  # writes still work after
