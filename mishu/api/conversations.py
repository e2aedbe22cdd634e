"""Conversation ownership: a conversation belongs to the API key that started it (admin sees all)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from assistant.conversations import ConversationRow
from mishu.api.audit import Caller
from mishu.api.errors import not_found


def owner_tag(caller: Caller) -> str:
    return f"{caller.role}:{caller.key_id}"


def start(container: Any, caller: Caller) -> str:
    """A new conversation owned by ``caller``."""
    return str(container.conversations.new(caller=owner_tag(caller)))


def check_access(container: Any, caller: Caller, conversation_id: str) -> None:
    """404 (same as unknown, so ids of others' conversations are not confirmed) unless the caller owns it."""
    with Session(container.conversations.engine) as s:
        row = s.get(ConversationRow, conversation_id)
        owner = row.caller if row is not None else None
    if row is None or (caller.role != "admin" and owner != owner_tag(caller)):
        raise not_found(f"找不到對話 {conversation_id}，請開新對話")
