"""The login in front of every page: streamlit-authenticator over the accounts file (``core.accounts``).

Each run of ``ui/app.py`` builds the library's ``Authenticate`` from the accounts file as it is now, so a
user added, reset or removed (in the pages or with ``mishu users``) counts at once:

1. ``gate()`` shows the login form until someone signs in (or a valid re-login cookie is present); failed
   attempts are counted in the accounts file and lock the account after ``MAX_FAILED_LOGINS``.
2. A session ends when its account is removed, or when its password or role changed after the session
   started (also for sessions that came back through the cookie).
3. A one-time password (first admin, new user, reset) must be changed before any page is shown.

Only the user name, display name and role are kept in session state; the API keys stay in ``UiConfig``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.utilities import CredentialsError, LoginError, LogoutError, ResetError

from core.access import Role
from core.accounts import MAX_FAILED_LOGINS, ROLE_ZH, Account, AccountError, AccountStore, password_problems
from ui.client import UiConfig

COOKIE_NAME = "mishu_pages_session"
LOGIN_AT = "mishu_login_at"  # session state: when this session signed in (epoch seconds)
NOTICE = "mishu_auth_notice"  # session state: why the last session ended
SET_COOKIE = "mishu_set_cookie"  # session state: (re)issue the re-login cookie on this run
CHANGED = "mishu_password_changed"  # session state: say "password changed" once
LOGIN_FIELDS = {"Form name": "登入 mishu 秘書", "Username": "帳號", "Password": "密碼", "Login": "登入"}
PASSWORD_FIELDS = {"Form name": "變更密碼", "Current password": "目前的密碼", "New password": "新密碼",
                   "Repeat password": "再輸入一次新密碼", "Reset": "變更密碼"}
RESET_ERRORS_ZH = {
    "No new password provided": "請輸入新密碼。",
    "Passwords do not match": "兩次輸入的新密碼不一致。",
    "New and current passwords are the same": "新密碼不可與目前的密碼相同。",
}
ss = st.session_state
_run = threading.local()  # the PagesAuth of the script run in this thread (set by ui/app.py)


@dataclass(frozen=True)
class SignedIn:
    """The person using this session, as the accounts file says now."""

    username: str
    name: str
    role: Role
    must_change_password: bool

    @property
    def role_zh(self) -> str:
        return ROLE_ZH[self.role]


class PasswordRules(stauth.Validator):
    """The accounts' password rule (``core.accounts.password_problems``) with zh-TW explanations."""

    def validate_password(self, password: str) -> bool:
        return not password_problems(password)

    def diagnose_password(self, password: str) -> str:
        return "新密碼不符規則：" + "、".join(password_problems(password)) + "。"


def _credentials(accounts: dict[str, Account]) -> dict[str, Any]:
    """The library's credentials structure (it mutates it: failed attempts, new password hashes)."""
    return {"usernames": {
        a.username: {"name": a.name, "email": None, "password": a.password_hash, "roles": [a.role],
                     "failed_login_attempts": a.failed_logins, "logged_in": False}
        for a in accounts.values()}}


class PagesAuth:
    """One script run's view of the login (build it once per run, at the top of ``ui/app.py``)."""

    def __init__(self, config: UiConfig) -> None:
        self.config = config
        self.store = AccountStore(config.users_file)
        try:
            self.accounts = {a.username: a for a in self.store.accounts()}
        except AccountError as exc:  # a damaged accounts file: nobody signs in until it is repaired
            st.error(str(exc), icon=":material/error:")
            st.stop()
        self.credentials = _credentials(self.accounts)
        # login_sleep_time: the library waits 0.7 s on every signed-out run by default; a run that waits is
        # interrupted by its cookie component's first value, and the rerun forgets a deep link (/admin)
        self.authenticator = stauth.Authenticate(self.credentials, COOKIE_NAME, config.cookie_key,
                                                 config.cookie_days, validator=PasswordRules(), auto_hash=False,
                                                 login_sleep_time=0.0)
        _run.auth = self

    # --- the gate ---------------------------------------------------------------------------------
    def gate(self) -> SignedIn | None:
        """The signed-in person, or None after drawing the login form."""
        if ss.get("authentication_status"):
            user = self._current()
            if user is not None:
                if ss.pop(SET_COOKIE, False):  # a run that ends in st.rerun() never reaches the browser
                    self.authenticator.cookie_controller.set_cookie()
                return user
        notice = ss.get(NOTICE)
        if notice:
            st.info(notice, icon=":material/info:")
        if not self.accounts:
            st.error("尚未建立任何帳號：請由 mishu up 啟動（會建立第一個管理者帳號），"
                     "或執行 mishu users add 帳號 --role admin。", icon=":material/person_off:")
            return None
        signed_by_form: list[bool] = []
        try:
            self.authenticator.login(location="main", max_login_attempts=MAX_FAILED_LOGINS, fields=LOGIN_FIELDS,
                                     key="login", callback=lambda _info: signed_by_form.append(True))
        except LoginError as exc:
            st.error(_login_error_zh(exc), icon=":material/lock:")
        self._save_failed_logins()
        if ss.get("authentication_status") is False:
            st.error("帳號或密碼錯誤。", icon=":material/lock:")
            return None
        if not ss.get("authentication_status"):
            return None
        if signed_by_form:  # redraw without the form; the cookie is set on that run
            ss[LOGIN_AT] = time.time()
            ss[SET_COOKIE] = True
            ss.pop(NOTICE, None)
            st.rerun()
        return self._current()  # came back through the re-login cookie

    def _current(self) -> SignedIn | None:
        account = self.accounts.get(str(ss.get("username") or ""))
        if account is None:
            self._end("此帳號已不存在，請洽管理者。")
            return None
        started = ss.get(LOGIN_AT)
        if not isinstance(started, float):
            started = self._cookie_issued_at()
            ss[LOGIN_AT] = started
        if started < account.changed_at:
            self._end("帳號的密碼或角色已變更，請重新登入。")
            return None
        return SignedIn(account.username, account.name, account.role, account.must_change_password)

    def _cookie_issued_at(self) -> float:
        """When the re-login cookie was issued (0 when it is missing or not ours)."""
        token = st.context.cookies.get(COOKIE_NAME)
        if not token:
            return 0.0
        try:
            claims = jwt.decode(token, self.config.cookie_key, algorithms=["HS256"])
            return float(claims["exp_date"]) - self.config.cookie_days * 86400
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):
            return 0.0

    def _end(self, notice: str) -> None:
        with contextlib.suppress(LogoutError):
            self.authenticator.logout(location="unrendered")
        ss.pop(LOGIN_AT, None)
        ss[NOTICE] = notice
        st.rerun()

    def _save_failed_logins(self) -> None:
        counts = {u: int(c.get("failed_login_attempts") or 0) for u, c in self.credentials["usernames"].items()}
        changed = {u: n for u, n in counts.items() if u in self.accounts and n != self.accounts[u].failed_logins}
        if changed:
            self.store.set_failed_logins(changed)

    # --- signed in ----------------------------------------------------------------------------------
    def sidebar(self, user: SignedIn) -> None:
        with st.sidebar:
            st.caption(f"登入者：{user.name}（{user.username}・{user.role_zh}）")
            try:
                self.authenticator.logout("登出", location="sidebar", key="logout_button")
            except LogoutError:
                return
        if not ss.get("authentication_status"):
            ss.pop(LOGIN_AT, None)
            ss[NOTICE] = "已登出。"
            st.rerun()

    def change_password(self, user: SignedIn, *, forced: bool = False) -> None:
        """The library's password form; the new hash goes to the accounts file."""
        if ss.pop(CHANGED, False):
            st.success("密碼已變更。", icon=":material/check_circle:")
        if forced:
            st.warning("您使用的是一次性密碼，請先設定自己的新密碼再繼續。", icon=":material/password:")
        st.caption("新密碼至少 10 個字元，須同時包含英文字母與數字。")
        try:
            changed = self.authenticator.reset_password(user.username, location="main", fields=PASSWORD_FIELDS,
                                                        key="change_password", clear_on_submit=True)
        except CredentialsError:
            st.error("目前的密碼不正確。", icon=":material/lock:")
            changed = None
        except ResetError as exc:
            st.error(RESET_ERRORS_ZH.get(str(exc), str(exc)), icon=":material/lock:")
            changed = None
        finally:
            self._save_failed_logins()
        if not changed:
            return
        try:
            self.store.set_password_hash(user.username, self.credentials["usernames"][user.username]["password"])
        except AccountError as exc:
            st.error(str(exc))
            return
        ss[LOGIN_AT] = time.time()  # this session stays signed in, and a new cookie keeps it so
        ss[SET_COOKIE] = True
        ss[CHANGED] = True
        st.rerun()


def _login_error_zh(exc: Exception) -> str:
    if "login attempts" in str(exc):
        return f"此帳號登入失敗已達 {MAX_FAILED_LOGINS} 次而鎖定；請洽管理者重設密碼。"
    if "not authorized" in str(exc):
        return "此帳號已不存在，請重新登入。"
    return "無法登入，請稍後再試。"


def current_auth() -> PagesAuth:
    """The login of the script run in progress (pages call this; ``ui/app.py`` builds it)."""
    auth = getattr(_run, "auth", None)
    if not isinstance(auth, PagesAuth):
        raise RuntimeError("ui.auth.PagesAuth was not built for this run (start the pages with ui/app.py)")
    return auth


def signed_in_user(*allowed: Role) -> SignedIn:
    """The signed-in person of this run; stops the page when their role may not see it."""
    auth = current_auth()
    user = auth._current() if ss.get("authentication_status") else None
    if user is None or (allowed and user.role not in allowed):
        st.error("您的角色沒有此頁面的權限。", icon=":material/block:")
        st.stop()
        raise RuntimeError("unreachable")  # st.stop() raises; this keeps the type checker honest
    return user


__all__ = ["COOKIE_NAME", "PagesAuth", "SignedIn", "current_auth", "signed_in_user"]
