"""Users (staff) with a role; passwords are scrypt-hashed and printed once at creation."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cxm.auth.principal import Principal
from cxm.auth.scopes import ROLE_SCOPES, check_role
from cxm.auth.tokens import hash_password, new_token, verify_password
from cxm.errors import FieldError
from cxm.store import Database

_NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


class UserError(FieldError):
    pass


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    role: str
    created_at: datetime
    disabled: bool

    def principal(self, session_hash: str | None = None) -> Principal:
        return Principal(
            f"user:{self.name}",
            "user",
            ROLE_SCOPES[self.role],
            role=self.role,
            user_id=self.user_id,
            session_hash=session_hash,
        )


_COLUMNS = "user_id, name, role, created_at, disabled_at IS NOT NULL"


def _user(row: tuple[object, ...]) -> User:
    return User(str(row[0]), str(row[1]), str(row[2]), row[3], bool(row[4]))  # type: ignore[arg-type]


def create_user(database: Database, name: str, role: str) -> tuple[User, str]:
    """Create a user and return it with its one-time-shown password."""
    if not _NAME.match(name):
        raise UserError("name", "use 1-64 letters, digits, '.', '_', '@' or '-'")
    try:
        check_role(role)
    except ValueError as error:
        raise UserError("role", str(error).partition(": ")[2]) from None
    if database.scalar("SELECT 1 FROM auth_users WHERE name = ?", [name]):
        raise UserError("name", f"a user named {name!r} already exists")
    password = new_token(18)
    user_id = uuid.uuid4().hex
    database.execute(
        "INSERT INTO auth_users (user_id, name, role, password_hash, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [user_id, name, role, hash_password(password), datetime.now(UTC)],
    )
    user = get_user(database, user_id)
    assert user is not None
    return user, password


def get_user(database: Database, user_id: str) -> User | None:
    rows = database.query(f"SELECT {_COLUMNS} FROM auth_users WHERE user_id = ?", [user_id])
    return _user(rows[0]) if rows else None


def user_by_name(database: Database, name: str) -> User | None:
    rows = database.query(f"SELECT {_COLUMNS} FROM auth_users WHERE name = ?", [name])
    return _user(rows[0]) if rows else None


def check_password(database: Database, name: str, password: str) -> User | None:
    """The active user with this name and password, else None (same answer either way)."""
    rows = database.query(
        f"SELECT {_COLUMNS}, password_hash FROM auth_users WHERE name = ?", [name]
    )
    if not rows:
        # Hash anyway so timing does not tell which names exist.
        verify_password(password, hash_password("x"))
        return None
    user = _user(rows[0])
    if not verify_password(password, str(rows[0][5])) or user.disabled:
        return None
    return user


def list_users(database: Database) -> list[User]:
    return [_user(r) for r in database.query(f"SELECT {_COLUMNS} FROM auth_users ORDER BY name")]


def disable_user(database: Database, name: str) -> bool:
    if user_by_name(database, name) is None:
        return False
    database.execute(
        "UPDATE auth_users SET disabled_at = ? WHERE name = ? AND disabled_at IS NULL",
        [datetime.now(UTC), name],
    )
    database.execute(
        "UPDATE auth_sessions SET ended_at = ? WHERE ended_at IS NULL AND user_id = "
        "(SELECT user_id FROM auth_users WHERE name = ?)",
        [datetime.now(UTC), name],
    )
    return True
