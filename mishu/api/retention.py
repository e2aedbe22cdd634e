"""Retention of what the API keeps for its callers (review F-30): conversations with their turns, and the
drafts (.docx with their owner sidecars). Both go once they are older than
``settings.conversation_retention_days``: a conversation counts from its last turn, a draft from its file's
modification time. Each API worker purges at start and then every ``PURGE_EVERY_S``; purges in several
workers at once are harmless (a delete of what is already gone deletes nothing).

The audit log has its own retention (``mishu.api.audit``); feedback is kept (it is what the admins review
to improve answers, and it is written only by a deliberate click).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assistant.conversations import ConversationStore
from mishu.api.db import utcnow

log = logging.getLogger("mishu.api.retention")

PURGE_EVERY_S = 3600.0
DRAFT_SUFFIXES = (".docx", ".json")


def purge_drafts(folder: Path, cutoff: datetime) -> int:
    """Delete draft files (and sidecars) last modified before ``cutoff`` (naive UTC); returns how many .docx."""
    if not folder.is_dir():
        return 0
    limit = cutoff.replace(tzinfo=UTC).timestamp()
    n = 0
    for p in folder.iterdir():
        try:
            if p.suffix in DRAFT_SUFFIXES and p.is_file() and p.stat().st_mtime < limit:
                p.unlink(missing_ok=True)
                n += p.suffix == ".docx"
        except FileNotFoundError:  # another worker purged it first
            continue
    return n


@dataclass
class Retention:
    conversations: Callable[[], ConversationStore]  # built on first purge (the store may not open at start)
    drafts: Path
    days: int

    def purge(self, now: datetime | None = None) -> dict[str, int]:
        """Delete what is older than the retention; returns the counts per kind."""
        cutoff = (now or utcnow()) - timedelta(days=self.days)
        out = {"drafts": purge_drafts(self.drafts, cutoff), "conversations": self.conversations().purge(cutoff)}
        if any(out.values()):
            log.info("retention: deleted %d conversations and %d drafts older than %s",
                     out["conversations"], out["drafts"], cutoff.isoformat())
        return out
