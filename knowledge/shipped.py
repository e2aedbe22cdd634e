"""The knowledge base shipped with mishu: where its files are.

These are the defaults of the matching settings (``Settings.sources``, ``laws_dir``, ``thresholds_path``,
``template_path``); the composition root passes the configured paths down, and library code falls back to
these only when called without one.
"""

from __future__ import annotations

from pathlib import Path

KNOWLEDGE_DIR = Path(__file__).resolve().parent
SHIPPED_SOURCES = KNOWLEDGE_DIR / "sources"  # law JSON, templates, plans, excerpts (indexed by default)
THRESHOLDS_PATH = KNOWLEDGE_DIR / "data" / "thresholds.json"  # dated procurement amount thresholds
TENDER_TEMPLATE_PATH = SHIPPED_SOURCES / "templates" / "tender-instructions-template.json"  # 投標須知範本
