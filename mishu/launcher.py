"""`mishu up`: index on first start, then run the API (uvicorn) and the pages (streamlit).

- The API child receives the whole ``Settings`` through ``MISHU_*`` environment variables, plus one fresh key
  per role for the pages (generated on every start, never printed or written anywhere).
- The pages child receives only what it needs: the API's URL, those three role keys, the accounts file and
  a fresh cookie-signing key; not ``MISHU_API_KEYS``, not the LLM key, no other ``MISHU_*`` variable.
- The pages ask for a login; on first start the ``admin`` account is created and its one-time password
  printed once.
- Listening beyond loopback needs TLS (``MISHU_TLS_CERT_FILE`` + ``MISHU_TLS_KEY_FILE``, used by both
  servers) or an explicit ``MISHU_BEHIND_PROXY=true``.

Ctrl-C stops both.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

from core.accounts import FIRST_ADMIN, AccountError, AccountStore
from core.tls import pinned_tls_context
from mishu.settings import PROJECT_ROOT, ROLES, Role, Settings

UI_APP = PROJECT_ROOT / "ui" / "app.py"
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 10.0
UI_KEY_ENV: dict[Role, str] = {"staff": "MISHU_UI_STAFF_KEY", "hotline": "MISHU_UI_HOTLINE_KEY",
                               "admin": "MISHU_UI_ADMIN_KEY"}
_WILDCARD = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


class LaunchError(Exception):
    """Cannot start (exposed without TLS, port taken, a child died while starting); the message is zh-TW."""


# --- where the servers listen ------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class Listen:
    """The host and ports both servers bind, and their TLS certificate and key when they serve HTTPS."""

    host: str = "127.0.0.1"
    api_port: int = 8765
    ui_port: int = 8501
    cert_file: Path | None = None
    key_file: Path | None = None

    @property
    def tls(self) -> bool:
        return self.cert_file is not None

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def connect_host(self) -> str:
        """Where a local client reaches the servers (loopback when they bind every interface)."""
        return _WILDCARD.get(self.host, self.host)

    @property
    def api_url(self) -> str:
        return f"{self.scheme}://{_url_host(self.connect_host)}:{self.api_port}"

    @property
    def ui_url(self) -> str:
        return f"{self.scheme}://{_url_host(self.connect_host)}:{self.ui_port}"

    def verify(self) -> ssl.SSLContext | bool:
        """How a local client checks the servers: the configured certificate, pinned."""
        if self.cert_file is None:
            return True
        return pinned_tls_context(str(self.cert_file))


def listen_for(settings: Settings, host: str, api_port: int, ui_port: int) -> Listen:
    """Check the exposure rule and the TLS files; a zh-TW ``LaunchError`` says what to set."""
    cert, key = settings.tls_cert_file, settings.tls_key_file
    if (cert is None) != (key is None):
        raise LaunchError("TLS 需要同時設定憑證與私鑰：MISHU_TLS_CERT_FILE 與 MISHU_TLS_KEY_FILE（PEM 檔）")
    for what, path in (("憑證", cert), ("私鑰", key)):
        if path is not None and not Path(path).is_file():
            raise LaunchError(f"找不到 TLS {what}檔：{path}")
    if not is_loopback(host) and cert is None and not settings.behind_proxy:
        raise LaunchError(
            f"拒絕在非本機位址 {host} 上以未加密的 HTTP 提供服務：登入密碼與 API 金鑰會以明文經過網路。請擇一：\n"
            "  1. 設定 MISHU_TLS_CERT_FILE 與 MISHU_TLS_KEY_FILE（API 與頁面都改用 HTTPS）；或\n"
            "  2. 已由前端代理伺服器（reverse proxy）提供 HTTPS 與存取控制時，設定 MISHU_BEHIND_PROXY=true；或\n"
            "  3. 改用 --host 127.0.0.1（只供本機使用）。")
    return Listen(host=host, api_port=api_port, ui_port=ui_port, cert_file=cert, key_file=key)


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


def generate_keys() -> dict[Role, str]:
    """One fresh key per role for the pages: {"staff": "...", "hotline": "...", "admin": "..."}."""
    return {role: f"mishu-ui-{role}-{secrets.token_urlsafe(24)}" for role in ROLES}


def keys_setting(keys: Mapping[Role, str]) -> str:
    return ",".join(f"{key}:{role}" for role, key in keys.items())


def _without_mishu(base: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for name in [n for n in env if n.startswith("MISHU_")]:
        del env[name]  # a None setting must not be revived by a stale variable; the pages get none
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def api_env(settings: Settings, ui_keys: Mapping[Role, str], base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The API child: every setting, with the pages' role keys added to the configured ones."""
    configured = settings.api_keys.strip().strip(",")
    keys = ",".join(k for k in (configured, keys_setting(ui_keys)) if k)
    env = _without_mishu(base)
    env.update(settings_env(settings.model_copy(update={"api_keys": keys})))
    env.setdefault("ANONYMIZED_TELEMETRY", "False")
    return env


def ui_env(settings: Settings, listen: Listen, ui_keys: Mapping[Role, str], cookie_key: str,
           base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The pages child: the API's URL, one key per role, the accounts file and the cookie key; nothing else
    of mishu's (no MISHU_API_KEYS, no LLM key, no data-dir settings)."""
    env = _without_mishu(base)
    env["MISHU_UI_API_URL"] = listen.api_url
    env["MISHU_UI_USERS_FILE"] = str(settings.users_file)
    env["MISHU_UI_COOKIE_KEY"] = cookie_key
    env["MISHU_UI_TIMEOUT_S"] = str(max(120.0, settings.llm_deadline_s + 30))
    if listen.cert_file is not None:
        env["MISHU_UI_API_CERT"] = str(listen.cert_file)
    for role, key in ui_keys.items():
        env[UI_KEY_ENV[role]] = key
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def ensure_first_admin(settings: Settings, out: TextIO = sys.stderr) -> bool:
    """Create the ``admin`` account when there is none and print its one-time password once."""
    try:
        password = AccountStore(settings.users_file).ensure_first_admin()
    except AccountError as exc:
        raise LaunchError(str(exc)) from None
    if password is None:
        return False
    print(f"\n已建立第一個管理者帳號（帳號檔 {settings.users_file}）：\n"
          f"  帳號：{FIRST_ADMIN}\n  一次性密碼：{password}\n"
          "這組密碼只顯示這一次；第一次登入頁面時必須改成自己的密碼。"
          "之後可在「帳號管理」頁或以 mishu users add 新增其他人的帳號。", file=out, flush=True)
    return True


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
    report = c.ensure_ready(progress=_text_progress(out), announce=lambda: print(
        "索引是空的，先建立知識庫索引（第一次啟動需要幾分鐘）…", file=out, flush=True))
    if report is not None:
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


def api_command(listen: Listen) -> list[str]:
    cmd = [sys.executable, "-m", "uvicorn", "mishu.api.app:app_from_env", "--factory", "--host", listen.host,
           "--port", str(listen.api_port), "--log-level", "warning"]
    if listen.cert_file is not None and listen.key_file is not None:
        cmd += ["--ssl-certfile", str(listen.cert_file), "--ssl-keyfile", str(listen.key_file)]
    return cmd


def ui_command(listen: Listen, max_upload_mb: int = 50) -> list[str]:
    cmd = [sys.executable, "-m", "streamlit", "run", str(UI_APP), "--server.address", listen.host,
           "--server.port", str(listen.ui_port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--global.developmentMode", "false",
           "--client.toolbarMode", "minimal", "--server.maxUploadSize", str(max_upload_mb)]
    if listen.cert_file is not None and listen.key_file is not None:
        cmd += ["--server.sslCertFile", str(listen.cert_file), "--server.sslKeyFile", str(listen.key_file)]
    return cmd


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


def wait_http(url: str, stack: Stack, timeout_s: float, verify: ssl.SSLContext | bool = True) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dead = stack.dead()
        if dead is not None:
            raise LaunchError(f"{dead.name} 啟動失敗（結束碼 {dead.proc.returncode}），請看上方的錯誤訊息")
        try:
            if httpx.get(url, timeout=2.0, verify=verify).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise LaunchError(f"等候 {url} 逾時（{timeout_s:.0f} 秒）")


def start_stack(listen: Listen, api_environ: Mapping[str, str], ui_environ: Mapping[str, str],
                timeout_s: float = START_TIMEOUT_S) -> Stack:
    """Start the API, wait for /healthz, start the pages, wait for them; stop everything on failure."""
    for what, port in (("API", listen.api_port), ("頁面", listen.ui_port)):
        if not port_free(listen.host, port):
            raise LaunchError(f"{what} 連接埠 {listen.host}:{port} 已被占用；請關閉占用的程式或改用其他連接埠")
    stack = Stack(api_url=listen.api_url, ui_url=listen.ui_url)
    verify = listen.verify()
    try:
        stack.children.append(Child("API（uvicorn）", subprocess.Popen(api_command(listen), env=dict(api_environ),
                                                                      cwd=PROJECT_ROOT)))
        wait_http(f"{stack.api_url}/healthz", stack, timeout_s, verify)
        ui_cmd = ui_command(listen, _upload_limit_mb(api_environ))
        stack.children.append(Child("頁面（streamlit）", subprocess.Popen(ui_cmd, env=dict(ui_environ),
                                                                      cwd=PROJECT_ROOT)))
        wait_http(f"{stack.ui_url}/_stcore/health", stack, timeout_s, verify)
    except BaseException:
        stack.stop()
        raise
    return stack


# --- entry point ------------------------------------------------------------------------------------
def run_up(settings: Settings, host: str = "127.0.0.1", api_port: int = 8765, ui_port: int = 8501,
           open_browser: bool = False) -> int:
    """Everything `mishu up` does; returns the exit code (0 after Ctrl-C, 1 when a part fails, 2 when the
    configuration is refused)."""
    out = sys.stderr
    try:
        listen = listen_for(settings, host, api_port, ui_port)
        settings.api_key_roles()  # a malformed MISHU_API_KEYS stops here, before anything starts
    except (LaunchError, ValueError) as exc:
        print(f"無法啟動：{exc}", file=out)
        return 2
    warning = settings.llm_endpoint_warning()
    if warning:
        print(warning, file=out)
    try:
        prepare_data(settings, out)
        ensure_first_admin(settings, out)
    except Exception as exc:  # a broken index, records store or accounts file: say what and stop
        print(f"無法準備資料：{exc}", file=out)
        return 1
    if not settings.api_keys.strip():
        print("\n未設定 MISHU_API_KEYS：API 只接受頁面本次啟動產生的金鑰。要從其他程式呼叫 API，"
              "請設定 MISHU_API_KEYS。", file=out)
    ui_keys = generate_keys()
    print("\n啟動服務中…", file=out, flush=True)
    try:
        stack = start_stack(listen, api_env(settings, ui_keys),
                            ui_env(settings, listen, ui_keys, cookie_key=secrets.token_urlsafe(32)))
    except LaunchError as exc:
        print(f"無法啟動：{exc}", file=out)
        return 1
    except KeyboardInterrupt:
        print("\n已中止。", file=out)
        return 0
    print(f"\nmishu 已啟動：\n  頁面：{stack.ui_url}（請以帳號登入）\n  API ：{stack.api_url}"
          f"（說明文件 {stack.api_url}/docs）\n按 Ctrl-C 結束。", file=out, flush=True)
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


__all__ = ["LaunchError", "Listen", "Stack", "api_env", "ensure_first_admin", "generate_keys", "is_loopback",
           "listen_for", "prepare_data", "run_up", "settings_env", "start_stack", "ui_env"]


if __name__ == "__main__":  # python -m mishu.launcher (before the CLI wires `mishu up`)
    raise SystemExit(run_up(Settings()))
