"""End to end in a real headless browser (Debian chromium): the whole stack as `mishu up` starts it.

API (uvicorn) and pages (streamlit) run as child processes started by ``mishu.launcher.start_stack`` over a
real index of three shipped laws; chromium is driven over the DevTools protocol (websockets, already a
dependency of streamlit). The test types a question into the chat page, waits for the streamed answer and
checks that a citation of 招標期限標準 is visible. A screenshot is kept in test-artifacts/chat_e2e.png.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest_ui import ROOT, UI_KEYS, free_port, make_data_dir, ui_settings

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
QUESTION = "公告金額以上未達查核金額的採購等標期幾天"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
                "--window-size=1280,1600", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                "--lang=zh-TW"]


class DevTools:
    """A minimal Chrome DevTools Protocol client for one page target."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self._exit = ExitStack()
        self._ws = self._exit.enter_context(connect(ws_url, max_size=64 * 1024 * 1024, open_timeout=10))
        self._ids = itertools.count(1)

    def close(self) -> None:
        self._exit.close()

    def send(self, method: str, timeout_s: float = 30.0, **params: Any) -> dict[str, Any]:
        msg_id = next(self._ids)
        self._ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout_s
        while True:
            raw = self._ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            msg = json.loads(raw)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result") or {})

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JS error: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout_s: float, what: str) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                value = self.js(expression)
            except RuntimeError:  # the page is still loading (no body yet)
                value = None
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError(f"timed out waiting for {what}; page text: {self.js('document.body.innerText')[:1500]}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium); the browser test needs it")
    from mishu.launcher import child_env, start_stack

    data = make_data_dir(tmp_path_factory.mktemp("ui-browser") / "data")
    api_port, ui_port = free_port(), free_port()
    env = child_env(ui_settings(data), f"http://127.0.0.1:{api_port}", UI_KEYS, override_ui_keys=True)
    running = start_stack(env, "127.0.0.1", api_port, ui_port, timeout_s=60)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"
    # /usr/bin/chromium is a shell wrapper: run it in its own process group and stop the whole group
    proc = subprocess.Popen([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not start")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
        page = next(t for t in targets if t.get("type") == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        try:
            yield tools
        finally:
            tools.close()
    finally:
        stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the browser's process group (wrapper and every chromium process), SIGKILL if needed."""
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                proc.wait()
                return
            proc.poll()
            time.sleep(0.1)
    proc.wait()


def test_chat_page_in_headless_chromium_shows_a_citation(stack: Any, browser: DevTools) -> None:
    t0 = time.monotonic()
    browser.send("Page.enable")
    # first visit after start is a deep link: the admin page shows the index summary, no "Page not found"
    browser.send("Page.navigate", url=f"{stack.ui_url}/admin")
    browser.wait_for("document.body.innerText.includes('檢索片段')", 30, "the documents summary on /admin")
    text = browser.js("document.body.innerText")
    assert "知識庫管理" in text and "Page not found" not in text
    assert re.search(r"現行文件\s+3\s", text), text[:600]  # the three indexed laws

    browser.send("Page.navigate", url=stack.ui_url)
    box = 'document.querySelector(\'textarea[data-testid="stChatInputTextArea"]\')'
    browser.wait_for(f"!!{box}", 30, "the chat input")
    assert browser.js("document.body.innerText").count("同仁問答") >= 1

    browser.js(f"{box}.focus()")
    browser.send("Input.insertText", text=QUESTION)
    browser.wait_for(f"{box}.value.length > 0", 5, "the typed question")
    for kind in ("keyDown", "keyUp"):
        browser.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                     **({"text": "\r"} if kind == "keyDown" else {}))

    summaries = "[...document.querySelectorAll('[data-testid=\"stExpander\"] summary')].map(s => s.innerText)"
    found = browser.wait_for(f"{summaries}.filter(t => t.includes('招標期限標準')).join('\\n')", 60,
                             "a 招標期限標準 citation")
    assert "招標期限標準第2條" in found
    text = browser.js("document.body.innerText")
    assert QUESTION in text
    assert "十四日" in text or "14日" in text
    assert "修正" in found  # the citation shows its amended date

    # open the citation so the screenshot shows the quote, then keep the picture
    browser.js("[...document.querySelectorAll('[data-testid=\"stExpander\"] summary')]"
               ".find(s => s.innerText.includes('招標期限標準')).click()")
    browser.wait_for("document.body.innerText.includes('載入全文')", 10, "the opened citation")
    time.sleep(0.5)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = browser.send("Page.captureScreenshot", format="png")
    out = ARTIFACTS / "chat_e2e.png"
    out.write_bytes(base64.b64decode(shot["data"]))
    assert out.stat().st_size > 10_000
    assert time.monotonic() - t0 < 90
