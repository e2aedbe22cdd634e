"""Helpers for the UI tests (imported by tests/test_ui_*.py and tests/test_browser_e2e.py).

A real index over three shipped procurement laws is built once per test session (real USE embedder,
embedded Chroma, BM25) and copied into each test's data directory; the real FastAPI app then serves it on a
free loopback port (uvicorn in a thread, or as a child process via the launcher).
"""

from __future__ import annotations

import atexit
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PROCUREMENT = ROOT / "knowledge" / "sources" / "procurement"
UI_SOURCES = [PROCUREMENT / "procurement-act.json", PROCUREMENT / "tender-period-standards.json",
              PROCUREMENT / "bid-bond-guarantee-rules.json"]
UI_KEYS = {"staff": "ui-test-staff-key-000000000001", "hotline": "ui-test-hotline-key-0000000002",
           "admin": "ui-test-admin-key-000000000003"}
UI_KEYS_SETTING = ",".join(f"{key}:{role}" for role, key in UI_KEYS.items())
UI_APP = ROOT / "ui" / "app.py"
# one signed-in person per role (passwords already chosen, so no forced change at login)
UI_USERS = {"staff": ("amy", "Staff-pass-2024"), "hotline": ("hank", "Hotline-pass-2024"),
            "admin": ("ada", "Admin-pass-2024")}


def make_users_file(path: Path) -> Path:
    """An accounts file with UI_USERS (password set, not one-time)."""
    from core.accounts import AccountStore, hash_password

    store = AccountStore(path)
    for role, (user, password) in UI_USERS.items():
        store.add(user, role, name=f"測試{user}")
        store.set_password_hash(user, hash_password(password))
    return path


def ui_environ(api_url: str, users_file: Path) -> dict[str, str]:
    """What the launcher gives the pages process (see mishu.launcher.ui_env)."""
    return {"MISHU_UI_API_URL": api_url, "MISHU_UI_USERS_FILE": str(users_file),
            "MISHU_UI_COOKIE_KEY": "ui-test-cookie-signing-key-0000000000",
            "MISHU_UI_STAFF_KEY": UI_KEYS["staff"], "MISHU_UI_HOTLINE_KEY": UI_KEYS["hotline"],
            "MISHU_UI_ADMIN_KEY": UI_KEYS["admin"]}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ui_settings(data_dir: Path, **overrides: Any) -> Any:
    from mishu.settings import Settings

    return Settings(data_dir=data_dir, sources=UI_SOURCES, api_keys=UI_KEYS_SETTING, **overrides)


@cache
def _built_data_dir() -> Path:
    """Index the three laws and load the 範例 records once; later calls reuse the folder."""
    from mishu.app import Container

    data = Path(tempfile.mkdtemp(prefix="mishu-ui-index-"))
    atexit.register(shutil.rmtree, data, True)
    c = Container(ui_settings(data))
    report = c.indexer.ingest(list(UI_SOURCES))
    assert not report.failed, report.failed
    c.ensure_sample_records()
    c.registry.close()
    return data


def make_data_dir(dst: Path) -> Path:
    """A private copy of the prepared data directory (index + records)."""
    shutil.copytree(_built_data_dir(), dst, ignore=shutil.ignore_patterns("*.lock"))
    return dst


@dataclass
class RunningApi:
    url: str
    settings: Any
    container: Any

    def get(self, path: str, role: str = "admin", **kw: Any) -> Any:
        r = httpx.get(self.url + path, headers={"Authorization": f"Bearer {UI_KEYS[role]}"}, timeout=30, **kw)
        r.raise_for_status()
        return r.json()


@contextmanager
def running_api(data_dir: Path, **overrides: Any) -> Iterator[RunningApi]:
    """The real FastAPI app (mishu.api.app.create_app) served by uvicorn in a thread on a free loopback port;
    ``overrides`` are Settings fields (for example ``llm_base_url``)."""
    import uvicorn

    from mishu.api.app import create_app
    from mishu.app import Container

    settings = ui_settings(data_dir, **overrides)
    container = Container(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, container), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="mishu-ui-test-api", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("API did not start")
        time.sleep(0.05)
    assert httpx.get(url + "/healthz", timeout=5).json() == {"status": "ok"}
    try:
        yield RunningApi(url=url, settings=settings, container=container)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
