"""Entry point of the mishu pages: `streamlit run ui/app.py` (started by `mishu up`)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# Not "pages/": a pages/ folder switches Streamlit to its v1 multipage mode, where a deep link such as
# /admin shows a spurious "Page not found" on the first visit after start.
PAGES_DIR = Path(__file__).resolve().parent / "views"
ROOT = PAGES_DIR.parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` from a checkout that is not pip-installed
    sys.path.insert(0, str(ROOT))

st.set_page_config(page_title="mishu 秘書", page_icon=":material/menu_book:", layout="wide")
navigation = st.navigation([
    st.Page(PAGES_DIR / "staff_chat.py", title="同仁問答", icon=":material/chat:", url_path="chat",
            default=True),
    st.Page(PAGES_DIR / "hotline_desk.py", title="諮詢專線", icon=":material/support_agent:", url_path="hotline"),
    st.Page(PAGES_DIR / "knowledge_admin.py", title="知識庫管理", icon=":material/folder_managed:", url_path="admin"),
])
navigation.run()
