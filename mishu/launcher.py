"""`mishu up`: index on first start, then run the API (uvicorn) and the pages (streamlit) on loopback.

Both run as child processes that receive the whole ``Settings`` through ``MISHU_*`` environment variables,
so they see exactly what this process saw (data dir, sources, keys ...). Ctrl-C stops both.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

from mishu.settings import PROJECT_ROOT, ROLES, Settings

UI_APP = PROJECT_ROOT / "ui" / "app.py"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 10.0


class LaunchError(Exception):
    """Cannot start (port taken, a child died while starting); the message is zh-TW."""


# --- settings and keys -------------------------------------------------------------------------------
def settings_env(settings: Settings) -> dict[str, str]:
    """``MISHU_*`` variables that rebuild ``settings`` in a child process (``sources`` comma-separated,
    other non-strings as JSON)."""
    out: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        if name == "sources":
            bad = [p for p in value if "," in p]
            if bad:
                raise LaunchError(f"來源路徑含有逗號，無法經由 MISHU_SOURCES 傳遞：{bad[0]}（請改名或移動該檔案）")
            out["MISHU_SOURCES"] = ",".join(value)
            continue
        out[f"MISHU_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return out


def generate_keys() -> dict[str, str]:
    """One fresh local key per role: {"staff": "...", "hotline": "...", "admin": "..."}."""
    return {role: f"mishu-{role}-{secrets.token_urlsafe(18)}" for role in ROLES}


def keys_setting(keys: Mapping[str, str]) -> str:
    return ",".join(f"{key}:{role}" for role, key in keys.items())


def ui_keys(settings: Settings) -> dict[str, str]:
    """The first configured key of each role (for the pages)."""
    out: dict[str, str] = {}
    for key, role in settings.api_key_roles().items():
        out.setdefault(role, key)
    return out


def child_env(settings: Settings, api_url: str, keys: Mapping[str, str], *, override_ui_keys: bool,
              base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for both children: the settings, the pages' API URL and their role keys."""
    env = dict(os.environ if base is None else base)
    for name in Settings.model_fields:  # a None setting must not be revived by a stale variable
        env.pop(f"MISHU_{name.upper()}", None)
    env.update(settings_env(settings))
    env["MISHU_UI_API_URL"] = api_url
    ui = {"MISHU_UI_API_KEY": keys.get("staff", ""), "MISHU_UI_HOTLINE_KEY": keys.get("hotline", ""),
          "MISHU_UI_ADMIN_KEY": keys.get("admin", "")}
    for name, value in ui.items():
        if not value:
            continue
        if override_ui_keys:
            env[name] = value
        else:
            env.setdefault(name, value)
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


# --- first start -----------------------------------------------------------------------------------
def _text_progress(out: TextIO) -> Callable[[str, int, int], None]:
    last: dict[str, float] = {}

    def update(stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last.get(stage, 0.0) < 1.0:
            return
        last[stage] = now
        pct = 100 * done / total if total else 100
        print(f"  {stage}：{done}/{total}（{pct:.0f}%）", file=out, flush=True)

    return update


def prepare_data(settings: Settings, out: TextIO = sys.stderr) -> None:
    """Index the configured sources when the index is empty; load the 範例 records into an empty store."""
    from mishu.app import Container

    c = Container(settings)
    if c.kb.is_empty():
        print("索引是空的，先建立知識庫索引（第一次啟動需要幾分鐘）…", file=out, flush=True)
        report = c.indexer.ingest(list(settings.sources), progress=_text_progress(out))
        print(report.summary_zh(), file=out, flush=True)
        for f in report.failed:
            print(f"  略過 {f.path}：{f.reason}", file=out, flush=True)
    if c.ensure_sample_records():
        print("已載入範例紀錄資料（標示為「範例」，非真實案件）。", file=out, flush=True)
    c.registry.close()


# --- processes -----------------------------------------------------------------------------------
def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def api_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "mishu.api.app:app_from_env", "--factory", "--host", host,
            "--port", str(port), "--log-level", "warning"]


def ui_command(host: str, port: int, max_upload_mb: int = 50) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(UI_APP), "--server.address", host,
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--global.developmentMode", "false",
            "--client.toolbarMode", "minimal", "--server.maxUploadSize", str(max_upload_mb)]


def _upload_limit_mb(env: Mapping[str, str]) -> int:
    """The pages accept what the API accepts (``max_file_mb``)."""
    try:
        return max(1, math.ceil(float(env.get("MISHU_MAX_FILE_MB", "50"))))
    except ValueError:
        return 50


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]


@dataclass
class Stack:
    """The running API and pages."""

    api_url: str
    ui_url: str
    children: list[Child] = field(default_factory=list)

    def dead(self) -> Child | None:
        return next((c for c in self.children if c.proc.poll() is not None), None)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """SIGTERM (uvicorn and streamlit shut down gracefully on it), then SIGKILL after ``timeout_s``."""
        for c in self.children:
            if c.proc.poll() is None:
                c.proc.terminate()
        deadline = time.monotonic() + timeout_s
        for c in self.children:
            try:
                c.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                c.proc.kill()
                c.proc.wait()


def wait_http(url: str, stack: Stack, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dead = stack.dead()
        if dead is not None:
            raise LaunchError(f"{dead.name} 啟動失敗（結束碼 {dead.proc.returncode}），請看上方的錯誤訊息")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise LaunchError(f"等候 {url} 逾時（{timeout_s:.0f} 秒）")


def start_stack(env: Mapping[str, str], host: str, api_port: int, ui_port: int,
                timeout_s: float = START_TIMEOUT_S) -> Stack:
    """Start the API, wait for /healthz, start the pages, wait for them; stop everything on failure."""
    for what, port in (("API", api_port), ("頁面", ui_port)):
        if not port_free(host, port):
            raise LaunchError(f"{what} 連接埠 {host}:{port} 已被占用；請關閉占用的程式或改用其他連接埠")
    stack = Stack(api_url=f"http://{host}:{api_port}", ui_url=f"http://{host}:{ui_port}")
    try:
        stack.children.append(Child("API（uvicorn）", subprocess.Popen(api_command(host, api_port),
                                                                      env=dict(env), cwd=PROJECT_ROOT)))
        wait_http(f"{stack.api_url}/healthz", stack, timeout_s)
        stack.children.append(Child("頁面（streamlit）", subprocess.Popen(ui_command(host, ui_port, _upload_limit_mb(env)),
                                                                      env=dict(env), cwd=PROJECT_ROOT)))
        wait_http(f"{stack.ui_url}/_stcore/health", stack, timeout_s)
    except BaseException:
        stack.stop()
        raise
    return stack


# --- entry point ------------------------------------------------------------------------------------
def run_up(settings: Settings, host: str = "127.0.0.1", api_port: int = 8765, ui_port: int = 8501,
           open_browser: bool = False) -> int:
    """Everything `mishu up` does; returns the exit code (0 after Ctrl-C, 1 when a part fails)."""
    out = sys.stderr
    generated = not settings.api_key_roles()
    if generated:
        keys = generate_keys()
        settings = settings.model_copy(update={"api_keys": keys_setting(keys)})
    else:
        keys = ui_keys(settings)
    try:
        prepare_data(settings, out)
    except Exception as exc:  # a broken index or records store: say what and stop
        print(f"無法準備資料：{exc}", file=out)
        return 1
    if generated:
        print("\n未設定 MISHU_API_KEYS，已產生本次執行用的本機 API 金鑰（只顯示這一次；"
              "要固定金鑰請設定 MISHU_API_KEYS）：", file=out)
        for role, key in keys.items():
            print(f"  {role:<8}{key}", file=out)
    api_url = f"http://{host}:{api_port}"
    print("\n啟動服務中…", file=out, flush=True)
    try:
        env = child_env(settings, api_url, keys, override_ui_keys=generated)
        stack = start_stack(env, host, api_port, ui_port)
    except LaunchError as exc:
        print(f"無法啟動：{exc}", file=out)
        return 1
    except KeyboardInterrupt:
        print("\n已中止。", file=out)
        return 0
    print(f"\nmishu 已啟動：\n  頁面：{stack.ui_url}\n  API ：{stack.api_url}（說明文件 {stack.api_url}/docs）\n"
          "按 Ctrl-C 結束。", file=out, flush=True)
    if open_browser:
        webbrowser.open(stack.ui_url)
    return supervise(stack)


def supervise(stack: Stack) -> int:
    """Wait until Ctrl-C / SIGTERM (exit 0) or a child dies (exit 1); stop both either way."""
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def on_signal(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    for s in previous:  # also when started with SIGINT ignored (e.g. from a script with `&`)
        signal.signal(s, on_signal)
    code = 0
    try:
        while True:
            dead = stack.dead()
            if dead is not None:
                print(f"{dead.name} 意外結束（結束碼 {dead.proc.returncode}），一併關閉其他服務。", file=sys.stderr)
                code = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\n正在關閉 mishu…", file=sys.stderr, flush=True)
    finally:
        stack.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code


__all__ = ["LaunchError", "Stack", "child_env", "generate_keys", "prepare_data", "run_up", "settings_env",
           "start_stack"]


if __name__ == "__main__":  # python -m mishu.launcher (before the CLI wires `mishu up`)
    raise SystemExit(run_up(Settings()))
