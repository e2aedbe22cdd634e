"""帳號管理 (admin): the pages' accounts — add a user, reset a password, set a role, remove a user.

A new or reset password is one-time: it is shown here once, and the user must change it at the next login.
The same operations exist for operators as ``mishu users add|list|passwd|remove``.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from core.access import ROLES, Role
from core.accounts import ROLE_ZH, Account, AccountError, AccountStore
from ui.auth import SignedIn, current_auth, signed_in_user
from ui.pages import page

PAGE = page("accounts_admin.py")
ss = st.session_state
ROLE_CHOICES: dict[str, Role] = {f"{ROLE_ZH[r]}（{r}）": r for r in ROLES}


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def accounts_frame(accounts: list[Account]) -> pd.DataFrame:
    return pd.DataFrame([{
        "帳號": a.username, "姓名": a.name, "角色": ROLE_ZH[a.role],
        "狀態": "已鎖定" if a.locked else ("待變更一次性密碼" if a.must_change_password else "正常"),
        "登入失敗": a.failed_logins, "建立": _when(a.created_at), "最近變更": _when(a.changed_at),
    } for a in accounts])


def show_one_time(username: str, password: str, what: str) -> None:
    ss["acct_flash"] = (username, password, what)


def flash() -> None:
    saved = ss.pop("acct_flash", None)
    if not saved:
        return
    username, password, what = saved
    st.success(f"{what}：帳號 {username} 的一次性密碼如下（只顯示這一次，請當面或以安全管道交給本人；"
               "對方第一次登入時必須變更）。", icon=":material/key:")
    st.code(password, language=None)


def add_form(store: AccountStore) -> None:
    with st.form("acct_add", clear_on_submit=True):
        st.markdown("**新增帳號**")
        c1, c2, c3 = st.columns(3)
        username = c1.text_input("帳號（英文小寫、數字、_ 或 -）", key="acct_new_username")
        name = c2.text_input("姓名", key="acct_new_name")
        role_label = c3.selectbox("角色", list(ROLE_CHOICES), key="acct_new_role")
        submitted = st.form_submit_button("新增", type="primary")
    if not submitted:
        return
    try:
        password = store.add(username, ROLE_CHOICES[role_label], name)
    except AccountError as exc:
        st.error(str(exc))
        return
    show_one_time(username.strip().lower(), password, "已新增帳號")
    st.rerun()


def manage(store: AccountStore, me: SignedIn, accounts: list[Account]) -> None:
    st.markdown("**管理帳號**")
    names = [a.username for a in accounts]
    username = st.selectbox("帳號", names, key="acct_pick")
    account = next((a for a in accounts if a.username == username), None)
    if account is None:
        return
    c1, c2, c3 = st.columns(3)
    with c1:
        if st.button("重設密碼（產生一次性密碼）", key="acct_reset"):
            try:
                show_one_time(account.username, store.reset_password(account.username), "已重設密碼")
            except AccountError as exc:
                st.error(str(exc))
            else:
                st.rerun()
    with c2:
        labels = list(ROLE_CHOICES)
        current = next(i for i, label in enumerate(labels) if ROLE_CHOICES[label] == account.role)
        role_label = st.selectbox("角色", labels, index=current, key=f"acct_role_{account.username}")
        if st.button("變更角色", key="acct_set_role"):
            try:
                store.set_role(account.username, ROLE_CHOICES[role_label])
            except AccountError as exc:
                st.error(str(exc))
            else:
                ss["acct_note"] = f"已將 {account.username} 的角色改為{ROLE_ZH[ROLE_CHOICES[role_label]]}。"
                st.rerun()
    with c3:
        sure = st.checkbox(f"確定刪除 {account.username}", key="acct_remove_sure",
                           disabled=account.username == me.username)
        if st.button("刪除帳號", key="acct_remove", disabled=not sure or account.username == me.username):
            try:
                store.remove(account.username)
            except AccountError as exc:
                st.error(str(exc))
            else:
                ss["acct_note"] = f"已刪除帳號 {account.username}。"
                st.rerun()
    if account.username == me.username:
        st.caption("不能刪除自己正在使用的帳號；變更自己的角色或密碼後需重新登入。")


def main() -> None:
    me = signed_in_user(*PAGE.roles)
    st.title("帳號管理")
    st.caption("頁面登入帳號與角色：業務同仁看同仁問答；採購專線看諮詢專線與同仁問答（僅公開文件）；管理者看全部。")
    store = current_auth().store
    flash()
    note = ss.pop("acct_note", None)
    if note:
        st.success(note, icon=":material/check_circle:")
    try:
        accounts = store.accounts()
    except AccountError as exc:
        st.error(str(exc))
        return
    st.dataframe(accounts_frame(accounts), hide_index=True, key="acct_table")
    add_form(store)
    st.divider()
    manage(store, me, accounts)


main()
