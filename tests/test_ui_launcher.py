"""`mishu up` (mishu.launcher): settings travel to the API intact, the pages get only their own role keys,
a non-loopback host needs TLS or a proxy, the first admin account, first-start indexing, both processes up
(on loopback, and over TLS), Ctrl-C stops everything; plus the UI client's SSE parsing and config."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest_ui import PROCUREMENT, ROOT, free_port

from core.accounts import AccountStore, check_password
from core.tls import pinned_tls_context
from mishu.launcher import (
    LaunchError,
    api_env,
    ensure_first_admin,
    generate_keys,
    is_loopback,
    keys_setting,
    listen_for,
    run_up,
    settings_env,
    start_stack,
    ui_env,
)
from mishu.settings import Settings
from ui.client import MishuClient, UiConfig, parse_sse


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


def test_the_pages_process_gets_only_what_it_needs(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, api_keys="operator-key-0000000000000001:admin", llm_base_url="http://127.0.0.1:9/v1",
                 llm_api_key="llm-secret-000000000000")
    base = {"MISHU_LLM_BASE_URL": "http://stale", "MISHU_API_KEYS": "stale-key:admin", "PATH": "/usr/bin"}
    keys = generate_keys()
    listen = listen_for(s, "127.0.0.1", 1, 2)
    pages = ui_env(s, listen, keys, cookie_key="c" * 40, base=base)
    assert not [n for n in pages if n.startswith("MISHU_") and not n.startswith("MISHU_UI_")]
    assert "llm-secret" not in str(pages) and "operator-key" not in str(pages)
    assert pages["MISHU_UI_API_URL"] == "http://127.0.0.1:1" and pages["PATH"] == "/usr/bin"
    assert [pages[f"MISHU_UI_{r.upper()}_KEY"] for r in ("staff", "hotline", "admin")] == list(keys.values())
    assert pages["MISHU_UI_USERS_FILE"] == str(tmp_path / "users.json")
    assert pages["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"

    api = api_env(s, keys, base=base)
    roles = Settings(api_keys=api["MISHU_API_KEYS"]).api_key_roles()
    assert roles == {"operator-key-0000000000000001": "admin", **{k: r for r, k in keys.items()}}
    assert api["MISHU_LLM_API_KEY"] == "llm-secret-000000000000"
    assert api["MISHU_LLM_BASE_URL"] == "http://127.0.0.1:9/v1"  # from settings, not the stale variable


def test_generated_keys_are_distinct_long_and_valid() -> None:
    keys = generate_keys()
    assert set(keys) == {"staff", "hotline", "admin"} and len(set(keys.values())) == 3
    assert all(len(k) >= 40 for k in keys.values())
    roles = Settings(api_keys=keys_setting(keys)).api_key_roles()
    assert {v: k for k, v in roles.items()} == keys
    assert generate_keys() != keys


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "mishu.example.tw", "::"])
def test_a_non_loopback_host_needs_tls_or_a_proxy(tmp_path: Path, host: str) -> None:
    s = Settings(data_dir=tmp_path)
    with pytest.raises(LaunchError, match="MISHU_TLS_CERT_FILE") as err:
        listen_for(s, host, 8765, 8501)
    assert "MISHU_BEHIND_PROXY=true" in str(err.value) and "127.0.0.1" in str(err.value)
    assert listen_for(s.model_copy(update={"behind_proxy": True}), host, 1, 2).scheme == "http"
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("y")
    tls = listen_for(s.model_copy(update={"tls_cert_file": cert, "tls_key_file": key}), host, 1, 2)
    assert tls.scheme == "https" and tls.api_url.startswith("https://")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_nothing(tmp_path: Path, host: str) -> None:
    assert is_loopback(host)
    assert listen_for(Settings(data_dir=tmp_path), host, 1, 2).scheme == "http"


def test_tls_settings_must_come_in_pairs_and_exist(tmp_path: Path) -> None:
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    with pytest.raises(LaunchError, match="同時設定"):
        listen_for(Settings(data_dir=tmp_path, tls_cert_file=cert), "127.0.0.1", 1, 2)
    with pytest.raises(LaunchError, match="找不到 TLS 私鑰"):
        listen_for(Settings(data_dir=tmp_path, tls_cert_file=cert, tls_key_file=tmp_path / "no.pem"), "0.0.0.0", 1, 2)


def test_mishu_up_refuses_an_exposed_host_before_starting_anything(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_up(Settings(data_dir=tmp_path / "data"), host="0.0.0.0", api_port=free_port(), ui_port=free_port())
    assert code == 2
    err = capsys.readouterr().err
    assert "拒絕在非本機位址 0.0.0.0" in err and "MISHU_BEHIND_PROXY" in err
    assert not (tmp_path / "data").exists()  # nothing indexed, no account created


def test_first_admin_is_created_once_and_its_password_printed_once(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path / "data")
    out = io.StringIO()
    assert ensure_first_admin(s, out)
    printed = out.getvalue()
    password = re.search(r"一次性密碼：(\S+)", printed)
    assert password and "帳號：admin" in printed
    admin = AccountStore(s.users_file).get("admin")
    assert admin is not None and admin.must_change_password and check_password(password.group(1), admin.password_hash)
    assert stat.S_IMODE(os.stat(s.users_file).st_mode) == 0o600
    out = io.StringIO()
    assert not ensure_first_admin(s, out) and out.getvalue() == ""


def test_parse_sse_events() -> None:
    lines = ["event: status", 'data: {"message": "檢索與計算中…"}', "", ": keep-alive", "",
             "event: delta", 'data: {"text": "第一段"}', "", "event: answer", 'data: {"answer": "全文",', 'data: "refused": false}',
             "", "event: done", "data: {}"]
    events = list(parse_sse(iter(lines)))
    assert [e.event for e in events] == ["status", "delta", "answer", "done"]
    assert events[1].data == {"text": "第一段"} and events[2].data == {"answer": "全文", "refused": False}


def test_ui_config_has_one_key_per_role_and_no_fallback() -> None:
    cfg = UiConfig.from_env({"MISHU_UI_API_URL": "http://127.0.0.1:9/", "MISHU_UI_STAFF_KEY": "stf",
                             "MISHU_UI_ADMIN_KEY": "adm", "MISHU_DATA_DIR": "/srv/mishu"})
    assert cfg.api_url == "http://127.0.0.1:9"
    assert (cfg.key_for("staff"), cfg.key_for("hotline"), cfg.key_for("admin")) == ("stf", "", "adm")
    assert "stf" not in repr(cfg) and "adm" not in repr(cfg)
    assert cfg.users_file == Path("/srv/mishu/users.json")
    assert UiConfig.from_env({}).api_url == "http://127.0.0.1:8765"


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(x.decode(errors="replace").partition("=")[::2] for x in raw if x)


def test_mishu_up_first_start_serves_both_with_minimal_page_env_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """run_up in its own process, on an empty data dir with one small law as the only source."""
    api_port, ui_port = free_port(), free_port()
    operator_key = "operator-staff-key-0000000000001"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISHU_")}
    env |= {"MISHU_DATA_DIR": str(tmp_path / "data"),
            "MISHU_SOURCES": str(PROCUREMENT / "tender-period-standards.json"),
            "MISHU_API_KEYS": f"{operator_key}:staff", "MISHU_LLM_API_KEY": "llm-secret-0000000000000",
            "PYTHONUNBUFFERED": "1"}
    code = (f"from mishu.launcher import run_up; from mishu.settings import Settings; "
            f"raise SystemExit(run_up(Settings(), api_port={api_port}, ui_port={ui_port}))")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    stderr = proc.stderr
    assert stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(stderr.readline, "")), daemon=True)
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
        password = re.search(r"一次性密碼：(\S+)", out)
        assert password and "帳號：admin" in out
        admin = AccountStore(tmp_path / "data" / "users.json").get("admin")
        assert admin is not None and check_password(password.group(1), admin.password_hash)
        assert "mishu-ui-" not in out  # the pages' keys are never printed
        api = f"http://127.0.0.1:{api_port}"
        assert httpx.get(f"{api}/healthz", timeout=5).json() == {"status": "ok"}
        docs = httpx.get(f"{api}/v1/documents", headers={"Authorization": f"Bearer {operator_key}"}, timeout=10)
        assert [d["title"] for d in docs.json()] == ["招標期限標準"]
        assert httpx.get(f"{api}/v1/admin/eval-report", headers={"Authorization": f"Bearer {operator_key}"},
                         timeout=10).status_code == 403
        assert httpx.get(f"http://127.0.0.1:{ui_port}/_stcore/health", timeout=5).text == "ok"
        assert f"http://127.0.0.1:{ui_port}" in out

        children = {pid: _environ(pid) for pid in _children(proc.pid)}
        pages = [e for e in children.values() if "MISHU_UI_API_URL" in e]
        served = [e for e in children.values() if "MISHU_API_KEYS" in e]
        assert len(pages) == 1 and len(served) == 1
        assert not [n for n in pages[0] if n.startswith("MISHU_") and not n.startswith("MISHU_UI_")]
        assert "llm-secret" not in str(pages[0]) and operator_key not in str(pages[0])
        page_keys = [pages[0][f"MISHU_UI_{r}_KEY"] for r in ("STAFF", "HOTLINE", "ADMIN")]
        assert all(k in served[0]["MISHU_API_KEYS"] for k in page_keys)  # the API accepts the pages' keys
        me = httpx.get(f"{api}/v1/me", headers={"Authorization": f"Bearer {page_keys[1]}"}, timeout=10)
        assert me.json()["role"] == "hotline"
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


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for "mishu.example.tw" (not the loopback name the clients use)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mishu.example.tw")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("mishu.example.tw")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def test_tls_both_servers_serve_https_and_the_pages_reach_the_api(tmp_path: Path) -> None:
    from conftest_ui import make_data_dir, ui_settings

    cert, key = _self_signed(tmp_path)
    settings = ui_settings(make_data_dir(tmp_path / "data")).model_copy(
        update={"tls_cert_file": cert, "tls_key_file": key, "api_keys": ""})
    listen = listen_for(settings, "127.0.0.1", free_port(), free_port())
    keys = generate_keys()
    stack = start_stack(listen, api_env(settings, keys), ui_env(settings, listen, keys, "k" * 40), timeout_s=90)
    try:
        ctx = pinned_tls_context(str(cert))
        assert stack.api_url.startswith("https://") and stack.ui_url.startswith("https://")
        assert httpx.get(f"{stack.ui_url}/_stcore/health", verify=ctx, timeout=5).text == "ok"
        with pytest.raises(httpx.ConnectError):  # the certificate is not trusted by default
            httpx.get(f"{stack.api_url}/healthz", timeout=5)
        with pytest.raises(httpx.RemoteProtocolError):  # no plain HTTP
            httpx.get(stack.api_url.replace("https", "http") + "/healthz", timeout=5)
        pages = UiConfig.from_env(ui_env(settings, listen, keys, "k" * 40))
        assert pages.api_url == stack.api_url and pages.api_cert == str(cert)
        client = MishuClient(pages.api_url, pages.key_for("admin"), verify=pinned_tls_context(pages.api_cert))
        assert {d.title for d in client.documents()} >= {"政府採購法"}
    finally:
        stack.stop()


def test_mishu_users_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mishu.cli import main

    base = ["--data-dir", str(tmp_path)]
    assert main([*base, "users", "add", "Lin", "--role", "hotline", "--name", "林專員"]) == 0
    password = capsys.readouterr().out.strip().splitlines()[-1]
    store = AccountStore(tmp_path / "users.json")
    lin = store.get("lin")
    assert lin is not None and lin.role == "hotline" and check_password(password, lin.password_hash)
    assert main([*base, "users", "add", "lin", "--role", "staff"]) == 2
    assert "已存在" in capsys.readouterr().err
    assert main([*base, "users", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [{"username": "lin", "name": "林專員", "role": "hotline", "must_change_password": True,
                       "locked": False}]
    store.set_failed_logins({"lin": 10})
    assert main([*base, "users", "passwd", "lin"]) == 0
    new = capsys.readouterr().out.strip().splitlines()[-1]
    lin = store.get("lin")
    assert lin is not None and not lin.locked and check_password(new, lin.password_hash) and new != password
    assert main([*base, "users", "add", "boss", "--role", "admin"]) == 0
    assert main([*base, "users", "remove", "boss"]) == 2  # the last admin stays
    assert "最後一個管理者" in capsys.readouterr().err
    assert main([*base, "users", "remove", "lin"]) == 0
    assert [a.username for a in store.accounts()] == ["boss"]
