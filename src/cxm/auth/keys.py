"""API keys with scopes. The key is ``cxmk_<key id>_<secret>``; only a SHA-256 of the
secret is stored, so a key is shown once, at creation."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from cxm.auth.principal import Principal
from cxm.auth.scopes import UnknownScopeError, check_scopes
from cxm.auth.tokens import new_token, sha256_hex
from cxm.auth.users import UserError
from cxm.store import Database

KEY_PREFIX = "cxmk_"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    scopes: frozenset[str]
    created_by: str
    created_at: datetime
    revoked: bool

    def principal(self) -> Principal:
        return Principal(f"key:{self.key_id}", "key", self.scopes)


_COLUMNS = "key_id, name, scopes, created_by, created_at, revoked_at IS NOT NULL"


def _key(row: tuple[object, ...]) -> ApiKey:
    scopes = frozenset(str(row[2]).split())
    return ApiKey(str(row[0]), str(row[1]), scopes, str(row[3]), row[4], bool(row[5]))  # type: ignore[arg-type]


def create_api_key(
    database: Database, name: str, scopes: list[str], created_by: str
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the plaintext key, which is not stored anywhere."""
    if not name.strip():
        raise UserError("name", "must not be empty")
    try:
        granted = check_scopes(scopes)
    except UnknownScopeError as error:
        raise UserError(error.field, error.reason) from None
    key_id = secrets.token_hex(6)
    secret = new_token(32)
    database.execute(
        "INSERT INTO api_keys (key_id, name, secret_hash, scopes, created_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            key_id,
            name.strip(),
            sha256_hex(secret),
            " ".join(sorted(granted)),
            created_by,
            datetime.now(UTC),
        ],
    )
    key = get_api_key(database, key_id)
    assert key is not None
    return key, f"{KEY_PREFIX}{key_id}_{secret}"


def get_api_key(database: Database, key_id: str) -> ApiKey | None:
    rows = database.query(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", [key_id])
    return _key(rows[0]) if rows else None


def resolve_api_key(database: Database, presented: str) -> ApiKey | None:
    """The active key a presented string is, else None."""
    if not presented.startswith(KEY_PREFIX):
        return None
    key_id, _, secret = presented[len(KEY_PREFIX) :].partition("_")
    rows = database.query(
        f"SELECT {_COLUMNS}, secret_hash FROM api_keys WHERE key_id = ?", [key_id]
    )
    if not rows or not secret:
        return None
    key = _key(rows[0])
    if key.revoked or not hmac.compare_digest(sha256_hex(secret), str(rows[0][6])):
        return None
    return key


def list_api_keys(database: Database) -> list[ApiKey]:
    rows = database.query(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at")
    return [_key(r) for r in rows]


def revoke_api_key(database: Database, key_id: str) -> bool:
    if get_api_key(database, key_id) is None:
        return False
    database.execute(
        "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
        [datetime.now(UTC), key_id],
    )
    return True
