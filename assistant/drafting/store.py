"""Where drafts are kept for download: ``<id>.docx`` in one folder (``data_dir/drafts``), and an ``<id>.json``
sidecar naming who may fetch it, so any worker can serve the file and only its owner (or an admin) gets it.

A draft without a sidecar (one made by ``mishu ask`` on the command line) is never served.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

from .docx_writer import to_docx
from .models import GongwenDraft, TenderDraft

_ID = re.compile(r"^[0-9a-f]{32}$")


class DraftStore:
    def __init__(self, folder: Path):
        self.folder = folder

    def save(self, draft: TenderDraft | GongwenDraft) -> tuple[str, Path]:
        """Write the draft's .docx under a new random id; returns the id and the file."""
        draft_id = secrets.token_hex(16)
        return draft_id, to_docx(draft, self.folder / f"{draft_id}.docx")

    def id_of(self, path: Path) -> str | None:
        """The id of a .docx this store wrote (None for any other path)."""
        if path.suffix != ".docx" or not _ID.match(path.stem) or not path.is_file():
            return None
        return path.stem if path.parent.resolve() == self.folder.resolve() else None

    def set_owner(self, draft_id: str, meta: dict[str, Any]) -> None:
        """Write the sidecar (``meta`` names the owner: ``key_id`` and ``role``, plus what the edge records)."""
        (self.folder / f"{draft_id}.json").write_text(json.dumps(meta, ensure_ascii=False, default=str),
                                                      encoding="utf-8")

    def owner(self, draft_id: str) -> dict[str, Any] | None:
        """The sidecar of a stored draft; None for an unknown or malformed id, or a draft without one."""
        if not _ID.match(draft_id):
            return None
        try:
            meta = json.loads((self.folder / f"{draft_id}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return meta if isinstance(meta, dict) else None

    def docx(self, draft_id: str) -> Path | None:
        """The .docx of a stored draft (None for an unknown or malformed id)."""
        path = self.folder / f"{draft_id}.docx"
        return path if _ID.match(draft_id) and path.is_file() else None
