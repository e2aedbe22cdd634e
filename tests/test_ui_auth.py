"""The login in front of the pages (streamlit-authenticator over core.accounts), driven with AppTest.

The pages run against the real API (uvicorn on loopback) with a real accounts file; nothing is faked.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from conftest_ui import (
    UI_APP,
    UI_KEYS,
    UI_USERS,
    RunningApi,
    make_data_dir,
    make_users_file,
    running_api,
    ui_environ,
)
from streamlit.testing.v1 import AppTest
from streamlit_authenticator.utilities import Hasher

from core.access import Role
from core.accounts import (
    MAX_FAILED_LOGINS,
    Account,
    AccountError,
    AccountStore,
    hash_password,
    password_problems,
)
from ui.pages import PAGES, pages_for
from ui.render import answer_markdown, strip_links_and_images

TIMEOUT = 60


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    data = make_data_dir(tmp_path_factory.mktemp("ui-auth") / "data")
    with running_api(data) as running:
        yield running


@pytest.fixture
def users(api: RunningApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AccountStore:
    path = make_users_file(tmp_path / "users.json")
    for name, value in ui_environ(api.url, path).items():
        monkeypatch.setenv(name, value)
    return AccountStore(path)


def _user(users: AccountStore, name: str) -> Account:
    account = users.get(name)
    assert account is not None, f"no account {name!r}"
    return account


def texts(elements: Any) -> list[str]:
    return [str(e.value) for e in elements]


def start() -> AppTest:
    at = AppTest.from_file(str(UI_APP), default_timeout=TIMEOUT).run()
    assert not at.exception, at.exception
    return at


def sign_in(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input[0].input(user)
    at.text_input[1].input(password)
    at.button(key="FormSubmitter:login-登入").click().run()
    assert not at.exception, at.exception
    return at


def page_titles(at: AppTest) -> list[str]:
    return texts(at.title)


def visible_pages(at: AppTest) -> set[str]:
    """The pages the navigation offers this session (each one that can be opened and shows its title)."""
    seen = set()
    for spec in PAGES:
        try:
            at.switch_page(f"views/{spec.file}").run()
        except Exception:  # not in this session's navigation
            continue
        if spec.title in page_titles(at) and not at.exception:
            seen.add(spec.title)
    return seen


def everything_sent(at: AppTest) -> str:
    """Every element the page rendered (what the browser receives), as text."""
    return repr(at._tree)


# --- login --------------------------------------------------------------------------------------------
def test_no_page_before_login(users: AccountStore) -> None:
    at = start()
    assert [t.label for t in at.text_input] == ["帳號", "密碼"]
    assert not at.title and not at.chat_input
    with contextlib.suppress(KeyError, ValueError, RuntimeError):  # a deep link: no navigation before the login
        at.switch_page("views/knowledge_admin.py").run()
    assert not at.title and not at.dataframe and [t.label for t in at.text_input] == ["帳號", "密碼"]


def test_wrong_password_is_refused_and_counted(users: AccountStore) -> None:
    at = sign_in(start(), "ada", "Wrong-pass-2024")
    assert any("帳號或密碼錯誤" in e for e in texts(at.error)), texts(at.error)
    assert not at.title and at.session_state["authentication_status"] is False
    assert _user(users, "ada").failed_logins == 1
    at = sign_in(start(), "nobody", "Whatever-2024")
    assert any("帳號或密碼錯誤" in e for e in texts(at.error))
    at = sign_in(start(), "ada", UI_USERS["admin"][1])  # the right one resets the counter
    assert page_titles(at) == ["同仁問答"]
    assert _user(users, "ada").failed_logins == 0


def test_too_many_failures_lock_the_account_until_reset(users: AccountStore) -> None:
    users.set_failed_logins({"amy": MAX_FAILED_LOGINS - 1})
    sign_in(start(), "amy", "Wrong-pass-2024")
    at = sign_in(start(), "amy", UI_USERS["staff"][1])  # right password, but locked now
    assert any("鎖定" in e for e in texts(at.error)), texts(at.error)
    assert not at.title
    password = users.reset_password("amy")  # what the admin page and `mishu users passwd` do
    at = sign_in(start(), "amy", password)
    assert page_titles(at) == ["設定新密碼"]


@pytest.mark.parametrize(("role", "expected"), [
    ("staff", {"同仁問答", "變更密碼"}),
    ("hotline", {"諮詢專線", "同仁問答", "變更密碼"}),
    ("admin", {"同仁問答", "諮詢專線", "知識庫管理", "帳號管理", "變更密碼"}),
])
def test_each_role_sees_only_its_pages(users: AccountStore, role: Role, expected: set[str]) -> None:
    assert {p.title for p in pages_for(role)} == expected
    at = sign_in(start(), *UI_USERS[role])
    home = {"staff": "同仁問答", "hotline": "諮詢專線", "admin": "同仁問答"}[role]
    assert page_titles(at) == [home]
    assert visible_pages(at) == expected


def test_the_hotline_role_chats_with_its_own_key_and_no_drafting(users: AccountStore, api: RunningApi) -> None:
    at = sign_in(start(), *UI_USERS["hotline"])
    at.switch_page("views/staff_chat.py").run()
    assert any("僅公開文件" in c for c in texts(at.caption))
    assert not [e for e in at.expander if "擬稿" in e.label]
    at.chat_input(key="chat_input").set_value("押標金上限").run()
    assert not at.exception, at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant"]
    cid = at.session_state["chat_conversation_id"]
    convo = api.get(f"/v1/conversations/{cid}", role="hotline")  # owned by the hotline key, not staff
    assert len(convo["turns"]) == 1


def test_no_key_in_session_state_or_in_what_the_browser_receives(users: AccountStore) -> None:
    for role in ("staff", "hotline", "admin"):
        at = sign_in(start(), *UI_USERS[role])
        at.switch_page("views/staff_chat.py").run()
        at.chat_input(key="chat_input").set_value("押標金上限").run()
        assert not at.exception, at.exception
        assert len(at.chat_message) == 2
        state = {k: repr(at.session_state[k]) for k in at.session_state._state._state.filtered_state}
        assert state["username"] == repr(UI_USERS[role][0])
        sent = everything_sent(at)
        for key in [*UI_KEYS.values(), os.environ["MISHU_UI_COOKIE_KEY"]]:
            assert not any(key in v or key in k for k, v in state.items()), (role, key)
            assert key not in sent, (role, key)


# --- one-time passwords and account changes ----------------------------------------------------------
def test_one_time_password_must_be_changed_before_any_page(users: AccountStore) -> None:
    password = users.add("nina", "staff", "新同仁")
    at = sign_in(start(), "nina", password)
    assert page_titles(at) == ["設定新密碼"] and not at.chat_input
    fields = {t.label: t for t in at.text_input}
    fields["目前的密碼"].input(password)
    fields["新密碼"].input("short1")
    fields["再輸入一次新密碼"].input("short1")
    at.button(key="FormSubmitter:change_password-變更密碼").click().run()
    assert any("至少 10 個字元" in e for e in texts(at.error)), texts(at.error)
    assert _user(users, "nina").must_change_password

    fields = {t.label: t for t in at.text_input}
    fields["目前的密碼"].input(password)
    fields["新密碼"].input("Nina-new-pass-1")
    fields["再輸入一次新密碼"].input("Nina-new-pass-1")
    at.button(key="FormSubmitter:change_password-變更密碼").click().run()
    assert not at.exception, at.exception
    assert page_titles(at) == ["同仁問答"]
    account = users.get("nina")
    assert account is not None and not account.must_change_password
    assert Hasher.check_pw("Nina-new-pass-1", account.password_hash)
    assert any("已登入" in c or "nina" in c for c in texts(at.sidebar.caption))

    at = sign_in(start(), "nina", password)  # the one-time password is gone
    assert any("帳號或密碼錯誤" in e for e in texts(at.error))
    at = sign_in(start(), "nina", "Nina-new-pass-1")
    assert page_titles(at) == ["同仁問答"]


def test_a_session_ends_when_its_role_changes_or_its_account_is_removed(users: AccountStore) -> None:
    at = sign_in(start(), *UI_USERS["hotline"])
    assert page_titles(at) == ["諮詢專線"]
    users.set_role("hank", "staff")
    at.run()
    assert any("重新登入" in i for i in texts(at.info)), texts(at.info)
    assert not at.title and [t.label for t in at.text_input] == ["帳號", "密碼"]
    at = sign_in(start(), *UI_USERS["staff"])
    users.remove("amy")
    at.run()
    assert any("已不存在" in i for i in texts(at.info)), texts(at.info)
    assert not at.title


def test_logout(users: AccountStore) -> None:
    at = sign_in(start(), *UI_USERS["staff"])
    at.sidebar.button(key="logout_button").click().run()
    assert not at.exception, at.exception
    assert any("已登出" in i for i in texts(at.info))
    assert not at.title and at.session_state["authentication_status"] is None


def test_admin_adds_a_user_resets_a_password_and_sets_a_role(users: AccountStore) -> None:
    at = sign_in(start(), *UI_USERS["admin"])
    at.switch_page("views/accounts_admin.py").run()
    assert page_titles(at) == ["帳號管理"]
    table = at.dataframe[0].value
    assert {"ada", "amy", "hank"} <= set(table["帳號"])
    at.text_input(key="acct_new_username").input("Lin-01")
    at.text_input(key="acct_new_name").input("林專員")
    at.selectbox(key="acct_new_role").set_value("採購專線（hotline）")
    at.button(key="FormSubmitter:acct_add-新增").click().run()
    assert not at.exception, at.exception
    one_time = at.code[0].value
    assert not password_problems(one_time)
    account = users.get("lin-01")
    assert account is not None and account.role == "hotline" and account.must_change_password
    assert "lin-01" in set(at.dataframe[0].value["帳號"])
    assert "acct_flash" not in at.session_state  # shown once, not kept

    at.selectbox(key="acct_pick").set_value("lin-01").run()
    at.selectbox(key="acct_role_lin-01").set_value("業務同仁（staff）")
    at.button(key="acct_set_role").click().run()
    assert _user(users, "lin-01").role == "staff"
    at.button(key="acct_reset").click().run()
    assert at.code and at.code[0].value != one_time
    assert Hasher.check_pw(at.code[0].value, _user(users, "lin-01").password_hash)

    at.selectbox(key="acct_pick").set_value("ada").run()  # yourself: cannot remove
    assert at.button(key="acct_remove").disabled


def test_the_last_admin_cannot_be_removed_or_demoted(users: AccountStore) -> None:
    with pytest.raises(AccountError, match="最後一個管理者"):
        users.remove("ada")
    with pytest.raises(AccountError, match="最後一個管理者"):
        users.set_role("ada", "staff")
    users.add("bob", "admin")
    users.remove("ada")
    assert [a.username for a in users.accounts() if a.role == "admin"] == ["bob"]


# --- the accounts file ----------------------------------------------------------------------------------
def test_accounts_file_is_private_and_holds_only_hashes(tmp_path: Path) -> None:
    store = AccountStore(tmp_path / "d" / "users.json")
    first = store.ensure_first_admin()
    assert first is not None and store.ensure_first_admin() is None  # only on the very first start
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600, oct(mode)
    raw = store.path.read_text(encoding="utf-8")
    assert first not in raw
    admin = store.get("admin")
    assert admin is not None and admin.role == "admin" and admin.must_change_password
    assert Hasher.check_pw(first, admin.password_hash)  # the login library accepts our hash
    assert bcrypt.checkpw(b"x", hash_password("x").encode())
    with pytest.raises(AccountError, match="已存在"):
        store.add("ADMIN", "staff")
    with pytest.raises(AccountError, match="不符規則"):
        store.add("王小明", "staff")
    with pytest.raises(AccountError, match="未知的角色"):
        store.add("wang", "boss")


def test_a_broken_accounts_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(AccountError, match="格式錯誤"):
        AccountStore(path).accounts()


# --- generated text --------------------------------------------------------------------------------------
def test_generated_text_loses_images_and_links_extractive_keeps_its_layout() -> None:
    generated = ("押標金上限為百分之五十 ![x](http://127.0.0.1:9999/l?d=secret) 〔政府採購法第30條〕\n"
                 "詳見[這裡](http://evil.example/p)與 <http://evil.example/a>，或 http://evil.example/b 。\n"
                 "![ref][1]\n\n[1]: http://evil.example/r\n- 第一點 **重點**")
    out = strip_links_and_images(generated)
    for url in ("](http", "](", "<http", "[1]:"):
        assert url not in out, out
    assert "`http://evil.example/a`" in out and "`http://evil.example/b`" in out  # shown, not clickable
    assert "押標金上限為百分之五十" in out and "〔政府採購法第30條〕" in out and "詳見這裡" in out
    assert "- 第一點 **重點**" in out
    extractive = "1. 依〔政府採購法第30條〕：\n> 「押標金」\n[附件](http://x)"
    assert answer_markdown(extractive, "extractive") == extractive.replace("\n", "  \n")
    assert "](http" not in answer_markdown(extractive, "llm")
