"""`mishu up` (mishu.launcher): settings travel to the children intact, local keys, first-start indexing,
both processes up on loopback, Ctrl-C stops everything; plus the UI client's SSE parsing and config."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest_ui import PROCUREMENT, ROOT, free_port

from mishu.launcher import LaunchError, child_env, generate_keys, keys_setting, settings_env, start_stack
from mishu.settings import Settings
from ui.client import UiConfig, parse_sse


def _clean_mishu_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MISHU_"):
            monkeypatch.delenv(name)


def test_settings_survive_the_trip_through_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(data_dir=tmp_path / "d", sources=[tmp_path / "a b", tmp_path / "法規.json"], rerank=False,
                        embed_batch=7, dense_weight=0.5, llm_base_url="http://127.0.0.1:9/v1",
                        api_keys="x1:staff,x2:admin")
    env = settings_env(original)
    assert env["MISHU_SOURCES"] == f"{tmp_path / 'a b'},{tmp_path / '法規.json'}"
    assert "MISHU_CHROMA_HOST" not in env  # None stays unset
    _clean_mishu_env(monkeypatch)
    monkeypatch.chdir(tmp_path)  # no .env file
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert Settings().model_dump() == original.model_dump()


def test_a_source_path_with_a_comma_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LaunchError, match="逗號"):
        settings_env(Settings(data_dir=tmp_path, sources=[tmp_path / "a,b.json"]))


def test_child_env_keys_and_stale_variables(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, api_keys="s1:staff,h1:hotline")
    base = {"MISHU_LLM_BASE_URL": "http://stale", "MISHU_UI_API_KEY": "mine", "PATH": "/usr/bin"}
    env = child_env(s, "http://127.0.0.1:1", {"staff": "s1", "hotline": "h1"}, override_ui_keys=False, base=base)
    assert "MISHU_LLM_BASE_URL" not in env  # unset in settings -> not revived from the environment
    assert env["MISHU_UI_API_KEY"] == "mine" and env["MISHU_UI_HOTLINE_KEY"] == "h1"
    assert "MISHU_UI_ADMIN_KEY" not in env
    assert env["MISHU_UI_API_URL"] == "http://127.0.0.1:1" and env["PATH"] == "/usr/bin"
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
    env = child_env(s, "http://127.0.0.1:1", {"staff": "s1"}, override_ui_keys=True, base=base)
    assert env["MISHU_UI_API_KEY"] == "s1"


def test_generated_keys_are_distinct_and_valid() -> None:
    keys = generate_keys()
    assert set(keys) == {"staff", "hotline", "admin"} and len(set(keys.values())) == 3
    roles = Settings(api_keys=keys_setting(keys)).api_key_roles()
    assert {v: k for k, v in roles.items()} == keys
    assert generate_keys() != keys


def test_start_stack_refuses_a_taken_port(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        with pytest.raises(LaunchError, match="已被占用"):
            start_stack(dict(os.environ), "127.0.0.1", taken, free_port())


def test_parse_sse_events() -> None:
    lines = ["event: status", 'data: {"message": "檢索與計算中…"}', "", ": keep-alive", "",
             "event: delta", 'data: {"text": "第一段"}', "", "event: answer", 'data: {"answer": "全文",', 'data: "refused": false}',
             "", "event: done", "data: {}"]
    events = list(parse_sse(iter(lines)))
    assert [e.event for e in events] == ["status", "delta", "answer", "done"]
    assert events[1].data == {"text": "第一段"} and events[2].data == {"answer": "全文", "refused": False}


def test_ui_config_role_keys_fall_back_to_the_shared_key() -> None:
    cfg = UiConfig.from_env({"MISHU_UI_API_URL": "http://127.0.0.1:9/", "MISHU_UI_API_KEY": "shared",
                             "MISHU_UI_ADMIN_KEY": "adm"})
    assert cfg.api_url == "http://127.0.0.1:9"
    assert (cfg.key_for("staff"), cfg.key_for("hotline"), cfg.key_for("admin")) == ("shared", "shared", "adm")
    assert UiConfig.from_env({}).api_url == "http://127.0.0.1:8765"


def test_mishu_up_indexes_on_first_start_serves_both_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """run_up in its own process, on an empty data dir with one small law as the only source."""
    api_port, ui_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISHU_")}
    env |= {"MISHU_DATA_DIR": str(tmp_path / "data"),
            "MISHU_SOURCES": str(PROCUREMENT / "tender-period-standards.json"),
            "PYTHONUNBUFFERED": "1"}
    code = (f"from mishu.launcher import run_up; from mishu.settings import Settings; "
            f"raise SystemExit(run_up(Settings(), api_port={api_port}, ui_port={ui_port}))")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any("mishu 已啟動" in x for x in lines):
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.2)
        out = "".join(lines)
        assert "索引是空的" in out and "新增 1" in out
        assert "已載入範例紀錄資料" in out
        keys = dict(re.findall(r"^\s+(staff|hotline|admin)\s+(\S+)$", out, flags=re.M))
        assert set(keys) == {"staff", "hotline", "admin"}
        api = f"http://127.0.0.1:{api_port}"
        assert httpx.get(f"{api}/healthz", timeout=5).json() == {"status": "ok"}
        docs = httpx.get(f"{api}/v1/documents", headers={"Authorization": f"Bearer {keys['staff']}"}, timeout=10)
        assert [d["title"] for d in docs.json()] == ["招標期限標準"]
        assert httpx.get(f"{api}/v1/admin/eval-report", headers={"Authorization": f"Bearer {keys['staff']}"},
                         timeout=10).status_code == 403
        assert httpx.get(f"http://127.0.0.1:{ui_port}/_stcore/health", timeout=5).text == "ok"
        assert f"http://127.0.0.1:{ui_port}" in out
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            rc = proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert rc == 0, "".join(lines)
    for port in (api_port, ui_port):  # both children are gone
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
