"""Entry point of the mishu pages: `streamlit run ui/app.py` (started by `mishu up`).

Every run: the login (``ui.auth``) first; a one-time password must be changed before anything else;
then the navigation shows only the pages of the signed-in person's role (``ui.pages``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` from a checkout that is not pip-installed
    sys.path.insert(0, str(ROOT))

from ui.auth import PagesAuth  # noqa: E402  (needs the path above)
from ui.client import UiConfig  # noqa: E402
from ui.pages import HOME, pages_for  # noqa: E402

st.set_page_config(page_title="mishu 秘書", page_icon=":material/menu_book:", layout="wide")
auth = PagesAuth(UiConfig.from_env())
user = auth.gate()
if user is None:
    st.stop()
else:
    auth.sidebar(user)
    if user.must_change_password:
        st.title("設定新密碼")
        auth.change_password(user, forced=True)
        st.stop()
    navigation = st.navigation([
        st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path,
                default=spec.url_path == HOME[user.role])
        for spec in pages_for(user.role)])
    navigation.run()
