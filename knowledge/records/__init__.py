"""Structured records store of mishu: procurement cases, tender events, vendors, hotline consultations,
seed teachers, building safety and archive retention — with importers and a typed query service."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from .db import ReadOnlyViolation, init_db, make_engine
from .importers import ImportIssue, ImportReport, Mode, import_bundle, import_file, import_records
from .service import RecordsService, RecordsValidationError

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample_records"


def load_sample(engine: Engine, directory: Path | None = None, mode: Mode = "insert") -> list[ImportReport]:
    """Import the committed 範例 files through the importers, all in one transaction."""
    from .sample import SAMPLE_FILES

    base = directory or SAMPLE_DIR
    return import_bundle(engine, [(t, base / f) for t, f in SAMPLE_FILES], mode=mode)


__all__ = ["SAMPLE_DIR", "ImportIssue", "ImportReport", "ReadOnlyViolation", "RecordsService",
           "RecordsValidationError", "import_bundle", "import_file", "import_records", "init_db", "load_sample",
           "make_engine"]
