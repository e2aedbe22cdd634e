"""Document access levels, and the levels each role may see. A document without the caller's level is
never retrieved, quoted or counted for that caller."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

Role = Literal["staff", "hotline", "admin"]
ROLES: tuple[Role, ...] = ("staff", "hotline", "admin")
ROLE_ZH: dict[Role, str] = {"staff": "業務同仁", "hotline": "採購專線", "admin": "管理者"}


class AccessLevel(StrEnum):
    """Who may see a document. ``public`` is visible to every role."""

    public = "public"
    restricted = "restricted"  # 限閱: staff + admin
    secret = "secret"  # 密: admin only


ROLE_LEVELS: dict[str, set[AccessLevel]] = {
    "hotline": {AccessLevel.public},
    "staff": {AccessLevel.public, AccessLevel.restricted},
    "admin": {AccessLevel.public, AccessLevel.restricted, AccessLevel.secret},
}


def allowed_levels(role: str | None) -> set[AccessLevel] | None:
    """None means "no restriction" (a local operator using the CLI on their own files)."""
    if role is None:
        return None
    try:
        return ROLE_LEVELS[role]
    except KeyError as e:
        raise ValueError(f"未知的角色：{role}") from e
