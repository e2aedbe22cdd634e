"""Accounts of the pages' login: user name, display name, role and a bcrypt hash of the password.

One JSON file in the data dir (``users.json``, mode 0600), written atomically (temporary file, fsync,
rename) under an exclusive lock, so the pages, ``mishu users`` and ``mishu up`` can change it at the same
time. The pages log in with streamlit-authenticator, which checks these hashes with
``bcrypt.checkpw``; the hashes are written with the same call its ``Hasher.hash`` makes
(``bcrypt.hashpw(password, bcrypt.gensalt())``).

Rules that hold for every writer:
- a user name is 2-20 lower-case letters, digits, ``_`` or ``-`` (the login form lower-cases what is typed);
- a password has at least 10 characters with letters and digits;
- a password set by someone else (first admin, new user, reset) is one-time: the user must change it at
  the next login;
- the last admin cannot be removed or demoted;
- ``changed_at`` moves whenever the password or the role changes, and sessions older than it end.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import bcrypt
from pydantic import BaseModel, Field, ValidationError

from core.access import ROLE_ZH, ROLES, Role

USERS_FILE_NAME = "users.json"
FIRST_ADMIN = "admin"
MAX_FAILED_LOGINS = 10
PASSWORD_MIN = 10
PASSWORD_MAX = 72  # bcrypt reads at most 72 bytes
_USERNAME = re.compile(r"^[a-z0-9_-]{2,20}$")


class AccountError(Exception):
    """A refused account change; the message is zh-TW and says what to do."""


class Account(BaseModel):
    username: str
    name: str
    role: Role
    password_hash: str
    must_change_password: bool = True
    failed_logins: int = 0
    created_at: float = Field(default_factory=time.time)
    changed_at: float = Field(default_factory=time.time)

    @property
    def locked(self) -> bool:
        return self.failed_logins >= MAX_FAILED_LOGINS


class AccountsFile(BaseModel):
    version: int = 1
    users: dict[str, Account] = Field(default_factory=dict)


# --- passwords ------------------------------------------------------------------------------------------
def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode(), password_hash.encode())
    except ValueError:
        return False


def password_problems(password: str) -> list[str]:
    """What is wrong with a new password (zh-TW), or [] when it is acceptable."""
    problems = []
    if len(password) < PASSWORD_MIN:
        problems.append(f"至少 {PASSWORD_MIN} 個字元")
    if len(password.encode()) > PASSWORD_MAX:
        problems.append(f"不超過 {PASSWORD_MAX} 個位元組")
    if not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        problems.append("須同時包含英文字母與數字")
    if password != password.strip():
        problems.append("前後不可有空白")
    return problems


def one_time_password() -> str:
    """16 random characters with letters and digits (passes ``password_problems``)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(16))
        if not password_problems(pw):
            return pw


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise AccountError(f"帳號「{username}」不符規則：須為 2 到 20 個英文小寫字母、數字、底線或連字號")
    return name


def check_role(role: str) -> Role:
    for r in ROLES:
        if r == role:
            return r
    raise AccountError(f"未知的角色「{role}」：須為 {', '.join(ROLES)} 之一")


# --- the store ------------------------------------------------------------------------------------------
class AccountStore:
    """The users file. Every method re-reads it, so changes made by another process are seen at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # -- reading --
    def _read(self) -> AccountsFile:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AccountsFile()
        try:
            return AccountsFile.model_validate(json.loads(raw))
        except (ValueError, ValidationError) as exc:
            raise AccountError(f"帳號檔 {self.path} 格式錯誤，無法讀取：{exc}") from None

    def accounts(self) -> list[Account]:
        return sorted(self._read().users.values(), key=lambda a: a.username)

    def get(self, username: str) -> Account | None:
        return self._read().users.get(username.strip().lower())

    def is_empty(self) -> bool:
        return not self._read().users

    # -- writing --
    @contextmanager
    def _editing(self) -> Iterator[AccountsFile]:
        """Lock, read, let the caller change the model, write back atomically with mode 0600."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            data = self._read()
            yield data
            self._write(data)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write(self, data: AccountsFile) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data.model_dump_json(indent=2))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    @staticmethod
    def _existing(data: AccountsFile, username: str) -> Account:
        account = data.users.get(username.strip().lower())
        if account is None:
            raise AccountError(f"沒有帳號「{username}」")
        return account

    def add(self, username: str, role: str, name: str = "") -> str:
        """A new account with a one-time password, which is returned (shown once, never stored)."""
        user, checked_role = check_username(username), check_role(role)
        password = one_time_password()
        with self._editing() as data:
            if user in data.users:
                raise AccountError(f"帳號「{user}」已存在")
            data.users[user] = Account(username=user, name=name.strip() or user, role=checked_role,
                                       password_hash=hash_password(password))
        return password

    def ensure_first_admin(self) -> str | None:
        """Create the ``admin`` account when there is no account at all; its one-time password, or None."""
        if not self.is_empty():
            return None
        password = one_time_password()
        with self._editing() as data:
            if data.users:
                return None
            data.users[FIRST_ADMIN] = Account(username=FIRST_ADMIN, name="管理者", role="admin",
                                              password_hash=hash_password(password))
        return password

    def reset_password(self, username: str) -> str:
        """A new one-time password (returned); the user must change it at the next login; unlocks."""
        password = one_time_password()
        with self._editing() as data:
            account = self._existing(data, username)
            account.password_hash = hash_password(password)
            account.must_change_password = True
            account.failed_logins = 0
            account.changed_at = time.time()
        return password

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """The user chose a new password (hashed by the login library): no longer one-time."""
        with self._editing() as data:
            account = self._existing(data, username)
            account.password_hash = password_hash
            account.must_change_password = False
            account.failed_logins = 0
            account.changed_at = time.time()

    def set_role(self, username: str, role: str) -> None:
        checked = check_role(role)
        with self._editing() as data:
            account = self._existing(data, username)
            if account.role == checked:
                return
            if account.role == "admin" and _admins(data) == 1:
                raise AccountError("這是最後一個管理者帳號，不能改為其他角色；請先新增另一個管理者")
            account.role = checked
            account.changed_at = time.time()

    def remove(self, username: str) -> None:
        with self._editing() as data:
            account = self._existing(data, username)
            if account.role == "admin" and _admins(data) == 1:
                raise AccountError("這是最後一個管理者帳號，不能刪除；請先新增另一個管理者")
            del data.users[account.username]

    def set_failed_logins(self, counts: dict[str, int]) -> None:
        """Persist the failed-login counters the login form keeps (a successful login resets to 0)."""
        with self._editing() as data:
            for user, n in counts.items():
                if user in data.users:
                    data.users[user].failed_logins = n


def _admins(data: AccountsFile) -> int:
    return sum(1 for a in data.users.values() if a.role == "admin")


__all__ = ["FIRST_ADMIN", "MAX_FAILED_LOGINS", "ROLE_ZH", "USERS_FILE_NAME", "Account", "AccountError",
           "AccountStore", "check_password", "check_role", "check_username", "hash_password",
           "one_time_password", "password_problems"]
