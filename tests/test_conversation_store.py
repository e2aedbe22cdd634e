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
