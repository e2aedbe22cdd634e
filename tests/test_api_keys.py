"""API keys (review F-02, F-25, F-26): full-length keyed lookup, a separate keyed pseudonym for logs, a
minimum length that stops start-up, and no key id shown to another role. Real app and SQLite stores; no
index is needed (nothing here asks a question)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mishu.api.auth import SECRET_FILE, KeyRing, load_secret
from mishu.settings import Settings

KEYS = {
    "staff": "staff-key-keys-test-00000001",
    "hotline": "hotline-key-keys-test-000001",
    "admin": "admin-key-keys-test-00000001",
}


def H(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from mishu.api.app import create_app
    from mishu.app import Container

    root = tmp_path_factory.mktemp("mishu-keys")
    settings = Settings(
        data_dir=root / "data",
        sources=[],
        api_keys=",".join(f"{k}:{r}" for r, k in KEYS.items()),
    )
    container = Container(settings)
    app = create_app(container=container)
    with TestClient(app) as client:
        yield {"client": client, "settings": settings, "container": container}


# --- F-02: the key is checked on its full keyed digest; the log name is a separate keyed pseudonym -------------
def test_lookup_uses_the_full_keyed_digest_not_a_published_prefix() -> None:
    ring = KeyRing({KEYS["admin"]: "admin"}, b"s" * 32)
    assert ring.identify(KEYS["admin"]) is not None
    assert all(len(digest) == 32 for digest, _ in ring._entries)  # 256 bits, not 48
    # a token that differs only in its last character is somebody else
    assert ring.identify(KEYS["admin"][:-1] + "2") is None and ring.identify("") is None


def test_pseudonym_is_keyed_and_differs_from_the_old_plain_hash_prefix() -> None:
    key = KEYS["admin"]
    a, b = KeyRing({key: "admin"}, b"a" * 32), KeyRing({key: "admin"}, b"b" * 32)
    old = "k-" + hashlib.sha256(key.encode()).hexdigest()[:12]  # what F-02 found published
    pa = a.pseudonym(key)
    assert pa.startswith("k-") and pa != old and pa != b.pseudonym(key)
    assert pa[2:] not in hashlib.sha256(key.encode()).hexdigest()  # not a slice of the plain hash either
    caller = a.identify(key)
    assert caller is not None and caller.key_id == pa


def test_me_shows_the_pseudonym_not_the_plain_hash(env: dict[str, Any]) -> None:
    me = env["client"].get("/v1/me", headers=H("hotline")).json()
    assert me["key_id"].startswith("k-")
    assert me["key_id"] != "k-" + hashlib.sha256(KEYS["hotline"].encode()).hexdigest()[:12]


def test_secret_file_is_private_shared_and_overridable(tmp_path: Path) -> None:
    s1 = load_secret(tmp_path / "d")
    path = tmp_path / "d" / SECRET_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(s1) == 32
    assert load_secret(tmp_path / "d") == s1  # a second worker reads the same secret
    assert load_secret(tmp_path / "d", "configured-secret") == b"configured-secret"


# --- minimum length, duplicates: start-up stops with a zh-TW/English message ------------------------------------
@pytest.mark.parametrize(
    "setting,needle",
    [
        ("short-key:staff", "至少要 24 個"),
        (f"{KEYS['staff']}:staff,{KEYS['staff']}:admin", "重複"),
        (f"{KEYS['staff']}:boss", "格式"),
    ],
)
def test_bad_key_settings_stop_start_up(setting: str, needle: str) -> None:
    with pytest.raises(ValueError) as e:
        Settings(api_keys=setting).api_key_roles()
    msg = str(e.value)
    assert needle in msg and "／" in msg
    assert "short-key" not in msg and KEYS["staff"] not in msg  # the message never repeats a key


def test_mishu_serve_refuses_a_short_key_before_indexing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mishu.cli import main

    monkeypatch.setenv("MISHU_API_KEYS", "tooshort:admin")
    assert main(["--data-dir", str(tmp_path), "serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "至少要 24 個" in err and "at least 24" in err and "tooshort" not in err
    assert not (tmp_path / "index").exists()  # stopped before anything was built


# --- no key id shown to another role (consultation handled_by), consultation bound to its caller (F-26) ----------
def test_consultation_shows_no_key_id_and_is_bound_in_the_audit(env: dict[str, Any]) -> None:
    client = env["client"]
    body = {"caller_agency": "臺中市政府建設局", "category": "招標", "question": "q", "answer": "a"}
    made = client.post("/v1/consultations", json=body, headers=H("admin"))
    assert made.status_code == 201, made.text
    listed = client.get("/v1/consultations", headers=H("hotline")).json()
    row = next(r for r in listed if r["ref"] == made.json()["ref"])
    assert row["handled_by"] == "管理者" and "k-" not in row["handled_by"]
    audit = client.get("/v1/admin/audit", params={"limit": 50}, headers=H("admin")).json()
    bound = [a for a in audit if (a.get("detail") or {}).get("consultation_ref") == row["ref"]]
    me = client.get("/v1/me", headers=H("admin")).json()
    assert bound and bound[0]["key_id"] == me["key_id"] and bound[0]["role"] == "admin"


@pytest.mark.parametrize("when", [datetime.now() + timedelta(days=2), datetime.now() - timedelta(days=400)])
def test_consultation_cannot_be_dated_ahead_or_far_back(env: dict[str, Any], when: datetime) -> None:
    body = {
        "caller_agency": "建設局",
        "category": "招標",
        "question": "q",
        "answer": "a",
        "occurred_at": when.replace(microsecond=0).isoformat(),
    }
    r = env["client"].post("/v1/consultations", json=body, headers=H("hotline"))
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "occurred_at"


# --- F-13: bodies are limited, and /v1/admin refused to other roles, before any byte of the body is read -------
def _call(app: Any, path: str, who: str, chunks: list[bytes], length: int | None) -> tuple[int, int]:
    """Run one request straight through the ASGI app; returns (status, how many body chunks were read)."""
    import asyncio

    headers = [(b"authorization", f"Bearer {KEYS[who]}".encode()), (b"content-type", b"application/json")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
        "app": app,
    }
    read = 0
    out: dict[str, int] = {}

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]

    asyncio.run(app(scope, receive, send))
    return out["status"], read


def test_hotline_upload_is_refused_before_the_body_is_read(env: dict[str, Any]) -> None:
    app = env["client"].app
    status, read = _call(app, "/v1/admin/upload", "hotline", [b"x" * 1024] * 50, 50 * 1024)
    assert status == 403 and read == 0


def test_declared_oversize_body_is_413_before_reading(env: dict[str, Any]) -> None:
    status, read = _call(env["client"].app, "/v1/ask", "staff", [b"{}"], 5 * 1024 * 1024)
    assert status == 413 and read == 0


def test_chunked_oversize_body_is_cut_off_with_413(env: dict[str, Any]) -> None:
    chunks = [b"[" + b"1," * 100_000] * 8  # about 1.6 MB, no Content-Length
    status, read = _call(env["client"].app, "/v1/ask", "staff", chunks, None)
    assert status == 413 and read < len(chunks)


# --- F-28: the audit can keep questions and query strings out --------------------------------------------------
def test_audit_can_keep_questions_and_query_strings_out(env: dict[str, Any]) -> None:
    from mishu.api.app import create_app
    from mishu.api.audit import question_detail

    kept = question_detail("押標金上限？", False)
    assert "question" not in kept and len(kept["question_sha256"]) == 16 and kept["question_chars"] == 6
    assert question_detail("押標金上限？", True) == {"question": "押標金上限？"}
    quiet = env["settings"].model_copy(update={"audit_questions": False})
    with TestClient(create_app(quiet, container=env["container"])) as c2:
        assert c2.get("/v1/vendors/check", params={"q": "06189352"}, headers=H("hotline")).status_code == 200
        rows = c2.get("/v1/admin/audit", params={"limit": 5}, headers=H("admin")).json()
    row = next(r for r in rows if r["path"] == "/v1/vendors/check")
    assert row["query"] is None and "06189352" not in json.dumps(rows, ensure_ascii=False)
