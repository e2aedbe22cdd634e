"""Small shared helpers for tests."""

from __future__ import annotations

import json
from functools import cache

from knowledge.shipped import SHIPPED_SOURCES


@cache
def raw_article(title: str, no: str) -> str:
    """Article text read straight from the shipped JSON (independent of any loader under test)."""
    for path in SHIPPED_SOURCES.rglob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("title_zh") == title:
            for art in data["articles"]:
                if art["no"] == no:
                    return str(art["text"])
    raise AssertionError(f"{title} {no} not in shipped sources")
