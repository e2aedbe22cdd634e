"""SQLite files and connections (F-10, F-11, F-18, F-29): WAL, busy timeout and FULL sync on every file; the
registry's writer has its own connection (readers never see a half-done swap, a view is one committed
state); retired lexical snapshots stay loadable for a grace period; the audit log has its own file, bounded
rows and a retention; an ingest job whose worker died is marked failed, not "running" for 30 minutes.

Real components: SQLite files, the USE embedder, embedded Chroma, the FastAPI app.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources"
LAW = SOURCES / "procurement" / "tender-period-standards.json"
KEYS = {"staff": "ops-test-staff-key-0123456789", "admin": "ops-test-admin-key-0123456789"}


def H(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[who]}"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from mishu.app import Container
    from mishu.settings import Settings

    root = tmp_path_factory.mktemp("mishu-sqlite")
    src = root / "src"
    src.mkdir()
    (src / LAW.name).write_bytes(LAW.read_bytes())
    settings = Settings(
        _env_file=None,
        data_dir=root / "data",
        sources=[src],
        api_keys=",".join(f"{k}:{w}" for w, k in KEYS.items()),
    )
    c = Container(settings)
    report = c.indexer.ingest([src])
    assert not report.failed, report.failed
    c.ensure_sample_records()
    yield {"container": c, "settings": settings, "src": src}


def _pragmas(conn: Any) -> tuple[str, int, int]:
    mode = conn.execute(text("PRAGMA journal_mode")).scalar_one()
    busy = conn.execute(text("PRAGMA busy_timeout")).scalar_one()
    sync = conn.execute(text("PRAGMA synchronous")).scalar_one()
    return str(mode).lower(), int(busy), int(sync)


def test_every_sqlite_file_is_wal_with_busy_timeout_and_full_sync(env: dict[str, Any]) -> None:
    from mishu.api.app import create_app

    c, settings = env["container"], env["settings"]
    app = create_app(container=c)
    engine = app.state.services.audit.engine
    # one at a time: a SQLite transaction begins IMMEDIATE (takes the write lock) on these engines
    expected = [
        (engine, 1),  # audit: synchronous 1 = NORMAL (rows written after the answer)
        (c.records_engine, 2),  # records: synchronous 2 = FULL
        (c.conversations.engine, 1),
    ]  # conversation turns: NORMAL
    for eng, sync in expected:
        with eng.connect() as conn:
            assert _pragmas(conn) == ("wal", 30000, sync), eng.url
    with app.state.services.feedback.engine.connect() as f:
        assert _pragmas(f) == ("wal", 30000, 2)  # feedback and jobs: FULL
    reg = c.registry
    assert reg._writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert reg._writer.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert reg._writer.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert reg._conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    # the audit log is its own file, not the records file
    data = settings.data_dir
    assert settings.audit_db_url == f"sqlite:///{data / 'audit.sqlite3'}"
    for name in ("audit.sqlite3", "records.sqlite3", "index/registry.sqlite3"):
        with sqlite3.connect(data / name) as raw:  # journal_mode=WAL is stored in the file itself
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal", name
    with sqlite3.connect(data / "records.sqlite3") as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "api_audit" not in tables


def test_readers_never_see_an_uncommitted_swap(env: dict[str, Any]) -> None:
    """The review's demo: inside the writer's transaction the law's sections are deleted; other threads
    (a fresh view load and direct registry reads) still see every article."""
    c = env["container"]
    reg, kb = c.registry, c.kb
    sp = next(d.source_path for d in reg.documents() if d.title == "招標期限標準")
    n_sections = len(reg.sections(sp))
    assert n_sections > 5
    seen: list[Any] = []

    def read() -> None:
        kb._view = None  # force a full view load from the registry in this thread
        seen.append(
            (
                kb.get_article("招標期限標準", "2") is not None,
                len(reg.sections(sp)),
                reg.generation(),
                len(kb.view().chunks),
            )
        )

    gen, n_chunks = reg.generation(), len(kb.view().chunks)
    with pytest.raises(RuntimeError), reg.transaction() as conn:
        conn.execute("DELETE FROM sections WHERE source_path=?", (sp,))
        conn.execute("DELETE FROM chunks WHERE source_path=?", (sp,))
        conn.execute("UPDATE state SET value=? WHERE key='generation'", (str(gen + 1),))
        t = threading.Thread(target=read)
        t.start()
        t.join()
        raise RuntimeError("roll back")
    assert seen == [(True, n_sections, gen, n_chunks)]
    assert len(reg.sections(sp)) == n_sections


def test_a_view_is_one_committed_state(env: dict[str, Any]) -> None:
    """Reads inside ``snapshot()`` keep seeing the commit they started on while the writer commits."""
    reg = env["container"].registry
    before = reg.generation()
    with reg.snapshot():
        g1 = reg.generation()
        with reg.transaction() as conn:
            conn.execute("UPDATE state SET value=? WHERE key='generation'", (str(before + 100),))
        g2 = reg.generation()
    assert g1 == g2 == before
    assert reg.generation() == before + 100
    with reg.transaction() as conn:  # put it back (the kb reloads on a change either way)
        conn.execute("UPDATE state SET value=? WHERE key='generation'", (str(before),))


def test_a_retired_lexical_snapshot_stays_loadable(env: dict[str, Any]) -> None:
    """A re-index swaps the pointer; the old snapshot is kept for the grace period, so a reader that read
    the old pointer just before can still load it; a run after the grace period deletes it."""
    from knowledge.lexical import LexicalIndex, prune_snapshots

    c, src = env["container"], env["src"]
    reg = c.registry
    old = reg.get_state("lexical_snapshot")
    assert old
    extra = src / "extra-note.md"
    extra.write_text(
        "---\ndoc_id: ops-extra\ntitle: 測試用補充說明\ndomain: procurement\nversion: 2026-01-01\n"
        "access_level: public\n---\n\n# 測試用補充說明\n\n### 第 1 條\n\n本說明僅供測試快照保留。\n",
        encoding="utf-8",
    )
    try:
        report = c.indexer.ingest([src])
        assert not report.failed and report.added
        new = reg.get_state("lexical_snapshot")
        assert new != old
        assert LexicalIndex.load(c.settings.index_dir, old, c.tokenizer).ids  # still there
        prune_snapshots(c.settings.index_dir, {new}, grace_s=0.0)
        assert not (c.settings.index_dir / old).exists() and (c.settings.index_dir / new).exists()
    finally:
        extra.unlink()
        c.indexer.ingest([src])


def test_audit_rows_are_bounded_and_expire(env: dict[str, Any]) -> None:
    from mishu.api.app import create_app
    from mishu.api.audit import AuditLog
    from mishu.api.db import utcnow

    app = create_app(container=env["container"])
    audit: AuditLog = app.state.services.audit
    engine = audit.engine

    def count(where: str) -> int:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM api_audit WHERE {where}")).scalar_one())

    with TestClient(app) as client:
        base_health = count("path = '/healthz'")
        assert client.get("/healthz").status_code == 200
        assert client.get("/no/such/path").status_code == 404
        assert client.get("/v1/documents", params={"q": "x" * 5000}, headers=H("staff")).status_code == 200
        for _ in range(70):
            assert client.get("/v1/documents", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert count("path = '/healthz'") == base_health == 0
    assert count("path = '/no/such/path'") == 0
    with engine.connect() as conn:
        q = (
            conn.execute(text("SELECT query FROM api_audit WHERE role = 'staff' ORDER BY id DESC"))
            .scalars()
            .first()
        )
    assert q is not None and len(q) == 1000
    assert count("status = 401") == 60  # the refusal budget of one minute
    old = utcnow() - timedelta(days=env["settings"].audit_retention_days + 1)
    audit.write(
        {
            "at": old,
            "request_id": "old",
            "key_id": None,
            "role": "staff",
            "method": "GET",
            "path": "/v1/documents",
            "query": None,
            "status": 200,
            "latency_ms": 1.0,
            "error_code": None,
            "citations": None,
            "detail": None,
            "client": None,
        }
    )
    kept = count("request_id != 'old'")
    assert audit.purge() == 1
    assert count("request_id = 'old'") == 0 and count("1=1") == kept


def _ghost(engine: Any, state: str, age: timedelta) -> str:
    from sqlalchemy.orm import Session

    from mishu.api.db import utcnow
    from mishu.api.jobs import IngestJobRow

    jid = f"ghost{state}{int(age.total_seconds())}"
    t = utcnow() - age
    with Session(engine) as s, s.begin():
        s.merge(
            IngestJobRow(
                id=jid,
                created_at=t,
                updated_at=t,
                requested_by="k-test",
                state=state,
                stage="嵌入",
                done=1,
                total=2,
                paths=[],
                uploaded=[],
                report=None,
                summary=None,
                error=None,
            )
        )
    return jid


def test_a_ghost_job_is_failed_at_start_and_does_not_block_ingest(env: dict[str, Any]) -> None:
    """F-18: a job left "running" by a killed worker (lock free) is failed at start; POST ingest is not 409."""
    from mishu.api.app import create_app

    app = create_app(container=env["container"])
    engine = app.state.services.jobs.engine
    jid = _ghost(engine, "running", timedelta(minutes=1))
    with TestClient(app) as client:
        job = client.get(f"/v1/admin/ingest/{jid}", headers=H("admin")).json()
        assert job["state"] == "failed" and "中斷" in job["error"]
        r = client.post("/v1/admin/ingest", headers=H("admin"))
        assert r.status_code == 202, r.text
        end = threading.Event()
        for _ in range(300):
            if client.get(f"/v1/admin/ingest/{r.json()['id']}", headers=H("admin")).json()["state"] == "done":
                break
            end.wait(0.1)
        assert client.get(f"/v1/admin/ingest/{r.json()['id']}", headers=H("admin")).json()["state"] == "done"


def test_a_job_holding_the_lock_is_running_however_old(env: dict[str, Any]) -> None:
    from knowledge.indexer import lock_path
    from mishu.api.app import create_app

    app = create_app(container=env["container"])
    engine = app.state.services.jobs.engine
    jid = _ghost(engine, "running", timedelta(hours=2))
    with lock_path(env["settings"].index_dir).open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process's ingest, as far as the API can tell
        try:
            with TestClient(app) as client:
                assert client.get(f"/v1/admin/ingest/{jid}", headers=H("admin")).json()["state"] == "running"
                r = client.post("/v1/admin/ingest", headers=H("admin"))
                assert r.status_code == 409 and r.json()["error"]["code"] == "ingest_running"
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    with TestClient(app) as client:
        assert client.get(f"/v1/admin/ingest/{jid}", headers=H("admin")).json()["state"] == "failed"
