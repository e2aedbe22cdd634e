"""Retention of conversations and drafts (review F-30): what is older than
``conversation_retention_days`` goes, at the API's start and then hourly; what is recent stays.
Real SQLite conversation store, real files, the real app's lifespan."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from assistant.conversations import ConversationRow, ConversationStore, Facts, TurnRow
from mishu.api.db import utcnow
from mishu.api.retention import Retention, purge_drafts


def _age(store: ConversationStore, cid: str, days: int, turns_days: int | None = None) -> None:
    """Backdate a conversation (and its turns, by ``turns_days`` when given)."""
    at = utcnow() - timedelta(days=days)
    with Session(store.engine) as s, s.begin():
        s.execute(update(ConversationRow).where(ConversationRow.id == cid).values(created_at=at))
        if turns_days is not None:
            s.execute(update(TurnRow).where(TurnRow.conversation_id == cid)
                      .values(created_at=utcnow() - timedelta(days=turns_days)))


def _draft(folder: Path, name: str, days: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in (".docx", ".json"):
        p = folder / f"{name}{suffix}"
        p.write_bytes(b"x")
        t = (utcnow() - timedelta(days=days)).timestamp()
        os.utime(p, (t, t))
    return folder / f"{name}.docx"


def test_conversations_idle_past_the_retention_go_with_their_turns(tmp_path: Path) -> None:
    store = ConversationStore(f"sqlite:///{tmp_path / 'conv.sqlite3'}")
    old, revived, fresh, empty_old = (store.new(caller="staff:k") for _ in range(4))
    for cid in (old, revived, fresh):
        store.add_turn(cid, "押標金上限？", "押標金上限？", Facts(query="押標金上限？"), {"answer": "…"})
    _age(store, old, 200, turns_days=120)
    _age(store, revived, 200, turns_days=3)  # started long ago, asked again this week: kept
    _age(store, empty_old, 100)  # an old conversation that never got a turn
    assert store.purge(utcnow() - timedelta(days=90)) == 2
    assert not store.exists(old) and not store.exists(empty_old)
    assert store.turns(old) == []
    assert store.exists(revived) and len(store.turns(revived)) == 1
    assert store.exists(fresh) and len(store.turns(fresh)) == 1
    assert store.purge(utcnow() - timedelta(days=90)) == 0  # nothing left to purge


def test_drafts_older_than_the_retention_go_with_their_sidecars(tmp_path: Path) -> None:
    folder = tmp_path / "drafts"
    old = _draft(folder, "a" * 32, 100)
    new = _draft(folder, "b" * 32, 1)
    (folder / "notes.txt").write_text("not a draft")  # not ours: left alone
    os.utime(folder / "notes.txt", (0, 0))
    assert purge_drafts(folder, utcnow() - timedelta(days=90)) == 1
    assert not old.exists() and not old.with_suffix(".json").exists()
    assert new.exists() and new.with_suffix(".json").exists() and (folder / "notes.txt").exists()
    assert purge_drafts(tmp_path / "missing", utcnow()) == 0


def test_the_api_purges_at_start(small_container: object, tmp_path: Path) -> None:
    from mishu.api.app import create_app
    from mishu.app import Container

    assert isinstance(small_container, Container)
    c = small_container
    store = c.conversations
    old, recent = store.new(caller="staff:k"), store.new(caller="staff:k")
    _age(store, old, c.settings.conversation_retention_days + 1)
    folder = c.settings.data_dir / "drafts"
    old_draft, new_draft = _draft(folder, "c" * 32, 365), _draft(folder, "d" * 32, 0)
    with TestClient(create_app(container=c)) as client:
        assert client.get("/healthz").status_code == 200
        assert not store.exists(old) and store.exists(recent)
        assert not old_draft.exists() and new_draft.exists()


def test_retention_days_counts_from_now(tmp_path: Path) -> None:
    store = ConversationStore(f"sqlite:///{tmp_path / 'conv.sqlite3'}")
    cid = store.new()
    _age(store, cid, 10)
    r = Retention(lambda: store, tmp_path / "drafts", days=30)
    assert r.purge() == {"drafts": 0, "conversations": 0}
    assert r.purge(now=utcnow() + timedelta(days=25)) == {"drafts": 0, "conversations": 1}
