"""變更密碼：every signed-in person can change their own password (the login library's form)."""

from __future__ import annotations

import streamlit as st

from ui.auth import current_auth, signed_in_user
from ui.pages import page

PAGE = page("my_account.py")


def main() -> None:
    user = signed_in_user(*PAGE.roles)
    st.title("變更密碼")
    st.caption(f"帳號：{user.username}（{user.name}・{user.role_zh}）")
    current_auth().change_password(user)


main()
