"""Roles -> document access levels. A document without the caller's level is never retrieved,
quoted or counted for that caller."""

from __future__ import annotations

from ingest.models import AccessLevel

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
