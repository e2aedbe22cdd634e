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
UI_KEYS = {"staff": "k1", "hotline": "k2", "admin": "k3"}
UI_KEYS_SETTING = "k1:staff,k2:hotline,k3:admin"
UI_APP = ROOT / "ui" / "app.py"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ui_settings(data_dir: Path) -> Any:
    from mishu.settings import Settings

    return Settings(data_dir=data_dir, sources=UI_SOURCES, api_keys=UI_KEYS_SETTING)


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
def running_api(data_dir: Path) -> Iterator[RunningApi]:
    """The real FastAPI app (mishu.api.create_app) served by uvicorn in a thread on a free loopback port."""
    import uvicorn

    from mishu.api import create_app
    from mishu.app import Container

    settings = ui_settings(data_dir)
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
