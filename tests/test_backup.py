"""`mishu backup` / `mishu restore` round trip on the embedded default (issue 10, item 6): records (with a
consultation and a conversation), the audit log, an upload with its sidecar, and the index (registry,
lexical snapshot, Chroma) come back exactly; a damaged archive is refused before anything is touched.
Real components: the CLI in a subprocess, SQLite, embedded Chroma, the USE embedder."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import tarfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAW = ROOT / "knowledge" / "sources" / "procurement" / "tender-period-standards.json"


def mishu(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mishu.cli", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql).fetchall())


def search(data: Path, q: str) -> list[tuple[str, str]]:
    r = mishu(data, "search", q, "--json", "--k", "5")
    assert r.returncode == 0, r.stderr
    return [(h["title"], h["no"]) for h in json.loads(r.stdout)]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_backup_restore_round_trip(tmp_path: Path) -> None:
    from mishu.app import Container
    from mishu.settings import Settings

    data, src = tmp_path / "data", tmp_path / "src"
    src.mkdir()
    (src / LAW.name).write_bytes(LAW.read_bytes())
    c = Container(Settings(_env_file=None, data_dir=data, sources=[src]))
    assert not c.indexer.ingest([src]).failed
    c.ensure_sample_records()
    c.records.log_consultation(
        occurred_at=datetime(2026, 11, 30, 10, 0),
        caller_agency="臺中市政府建設局",
        category="招標",
        question="備份測試的諮詢",
        answer="已答覆",
        handled_by="測試",
        citations=[],
        follow_up=False,
        follow_up_note=None,
    )
    c.assistant.ask("等標期幾天", role="staff")
    from mishu.api.app import create_tables
    from mishu.api.audit import AuditLog
    from mishu.api.db import make_api_engine, utcnow

    eng = make_api_engine(c.settings.audit_db_url)
    create_tables(eng)
    AuditLog(eng).write(
        {
            "at": utcnow(),
            "request_id": "backup-test",
            "key_id": None,
            "role": "staff",
            "method": "GET",
            "path": "/v1/search",
            "query": "q=1",
            "status": 200,
            "latency_ms": 1.0,
            "error_code": None,
            "citations": None,
            "detail": None,
            "client": None,
        }
    )
    (data / "uploads").mkdir()
    (data / "uploads" / "note.md").write_text("# 備份測試\n", encoding="utf-8")
    (data / "uploads" / "note.md.meta.json").write_text('{"access_level": "restricted"}', encoding="utf-8")

    records_sql = "SELECT ref, question FROM rec_consultations ORDER BY ref"
    before: dict[str, list[tuple[Any, ...]]] = {
        "consult": rows(data / "records.sqlite3", records_sql),
        "turns": rows(data / "records.sqlite3", "SELECT question FROM conv_turns"),
        "audit": rows(data / "audit.sqlite3", "SELECT request_id FROM api_audit"),
        "search": search(data, "等標期最少幾天"),
    }
    assert any(q == "備份測試的諮詢" for _, q in before["consult"]) and before["turns"] and before["search"]

    archive = tmp_path / "b" / "mishu.tar.gz"
    r = mishu(data, "backup", str(archive))
    assert r.returncode == 0, r.stderr
    assert oct(archive.stat().st_mode & 0o777) == "0o600"

    # damage: records lost, index gone, upload changed
    for p in data.glob("records.sqlite3*"):
        p.unlink()
    for p in (data / "index").iterdir():
        if p.is_dir():
            import shutil

            shutil.rmtree(p)
        else:
            p.unlink()
    (data / "uploads" / "note.md").write_text("changed", encoding="utf-8")

    r = mishu(data, "restore", str(archive))
    assert r.returncode == 0, r.stderr
    assert rows(data / "records.sqlite3", records_sql) == before["consult"]
    assert rows(data / "records.sqlite3", "SELECT question FROM conv_turns") == before["turns"]
    assert rows(data / "audit.sqlite3", "SELECT request_id FROM api_audit") == before["audit"]
    assert (data / "uploads" / "note.md").read_text(encoding="utf-8") == "# 備份測試\n"
    assert (data / "uploads" / "note.md.meta.json").exists()
    assert search(data, "等標期最少幾天") == before["search"]
    assert list(data.glob(".pre-restore-*/uploads/note.md"))  # what was there before is kept aside


def test_a_damaged_archive_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "users.json").write_text("{}", encoding="utf-8")
    archive = tmp_path / "bad.tar.gz"
    manifest = json.dumps(
        {"format": "mishu-backup-1", "created": "x", "files": {"users.json": "0" * 64}, "skipped": []}
    ).encode()
    with tarfile.open(archive, "w:gz") as tar:
        for name, body in (("manifest.json", manifest), ("users.json", b'{"admin": 1}')):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    r = mishu(data, "restore", str(archive))
    assert r.returncode == 2 and "manifest" in r.stderr
    assert (data / "users.json").read_text(encoding="utf-8") == "{}"
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tar")
    r = mishu(data, "restore", str(tmp_path / "junk.tar.gz"))
    assert r.returncode == 2 and "損毀" in r.stderr
