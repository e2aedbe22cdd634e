"""Conversation ownership: a conversation belongs to the API key that started it (admin sees all)."""

from __future__ import annotations

from assistant.conversations import ConversationRow, ConversationStore
from knowledge.records.db import reading
from mishu.api.auth import Caller
from mishu.api.errors import forbidden, not_found


def owner_tag(caller: Caller) -> str:
    return f"{caller.role}:{caller.key_id}"


def start(store: ConversationStore, caller: Caller) -> str:
    """A new conversation owned by ``caller``."""
    return str(store.new(caller=owner_tag(caller)))


def check_access(store: ConversationStore, caller: Caller, conversation_id: str, *, continuing: bool = False) -> None:
    """404 (same as unknown, so ids of others' conversations are not confirmed) unless the caller owns it.

    An admin may read any conversation but continue only its own: a turn is answered with the asker's
    access, and the owner would then read an admin-level answer in their own history."""
    with reading(store.engine) as s:
        row = s.get(ConversationRow, conversation_id)
        owner = row.caller if row is not None else None
    own = row is not None and owner == owner_tag(caller)
    if row is None or (caller.role != "admin" and not own):
        raise not_found(f"找不到對話 {conversation_id}，請開新對話")
    if continuing and not own:
        raise forbidden("管理者可以檢視他人的對話，但不能在其中繼續提問（回答會依管理者權限產生）；請開新對話")
