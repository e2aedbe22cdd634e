"""Which pages each role sees: one table, read by ``ui/app.py`` (navigation) and by each page (its guard)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.access import ROLES, Role

# Not "pages/": a pages/ folder switches Streamlit to its v1 multipage mode, where a deep link such as
# /admin shows a spurious "Page not found" on the first visit after start.
VIEWS_DIR = Path(__file__).resolve().parent / "views"


@dataclass(frozen=True)
class PageSpec:
    file: str  # in ui/views/
    title: str
    icon: str
    url_path: str
    roles: frozenset[Role]

    @property
    def path(self) -> Path:
        return VIEWS_DIR / self.file


EVERYONE = frozenset(ROLES)
PAGES: tuple[PageSpec, ...] = (
    # hotline: public documents only (the API answers a hotline key from public documents)
    PageSpec("staff_chat.py", "同仁問答", ":material/chat:", "chat", EVERYONE),
    PageSpec("hotline_desk.py", "諮詢專線", ":material/support_agent:", "hotline", frozenset({"hotline", "admin"})),
    PageSpec("knowledge_admin.py", "知識庫管理", ":material/folder_managed:", "admin", frozenset({"admin"})),
    PageSpec("accounts_admin.py", "帳號管理", ":material/manage_accounts:", "accounts", frozenset({"admin"})),
    PageSpec("my_account.py", "變更密碼", ":material/password:", "password", EVERYONE),
)
HOME: dict[Role, str] = {"staff": "chat", "hotline": "hotline", "admin": "chat"}


def pages_for(role: Role) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]


def page(file: str) -> PageSpec:
    return next(p for p in PAGES if p.file == file)


__all__ = ["HOME", "PAGES", "PageSpec", "page", "pages_for"]
