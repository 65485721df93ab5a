"""Browser sessions and one-time login links, kept server-side so logout is real.

The cookie holds the session token (signed by the web layer); the table holds only
its SHA-256.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cxm.auth.tokens import new_token, sha256_hex
from cxm.auth.users import User, get_user
from cxm.store import Database

SESSION = "session"
LOGIN_LINK = "login_link"


def _issue(database: Database, kind: str, user_id: str, lifetime: timedelta) -> str:
    token = new_token(32)
    now = datetime.now(UTC)
    database.execute(
        "INSERT INTO auth_sessions (session_hash, kind, user_id, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [sha256_hex(token), kind, user_id, now, now + lifetime],
    )
    return token


def start_session(database: Database, user: User, hours: int) -> str:
    return _issue(database, SESSION, user.user_id, timedelta(hours=hours))


def create_login_link_token(database: Database, user: User, minutes: int = 60) -> str:
    return _issue(database, LOGIN_LINK, user.user_id, timedelta(minutes=minutes))


def _live(database: Database, kind: str, token: str) -> tuple[str, User] | None:
    token_hash = sha256_hex(token)
    rows = database.query(
        "SELECT user_id FROM auth_sessions WHERE session_hash = ? AND kind = ? "
        "AND ended_at IS NULL AND expires_at > ?",
        [token_hash, kind, datetime.now(UTC)],
    )
    if not rows:
        return None
    user = get_user(database, str(rows[0][0]))
    if user is None or user.disabled:
        return None
    return token_hash, user


def session_user(database: Database, token: str) -> tuple[str, User] | None:
    """(session hash, user) of a live session token, else None."""
    return _live(database, SESSION, token)


def redeem_login_link(database: Database, token: str) -> User | None:
    """The user of an unused, unexpired login link; the link is spent by this call."""
    # One UPDATE ... RETURNING spends the link, so two clicks cannot both sign in.
    rows = database.query(
        "UPDATE auth_sessions SET ended_at = ? WHERE session_hash = ? AND kind = ? "
        "AND ended_at IS NULL AND expires_at > ? RETURNING user_id",
        [datetime.now(UTC), sha256_hex(token), LOGIN_LINK, datetime.now(UTC)],
    )
    user = get_user(database, str(rows[0][0])) if rows else None
    return None if user is None or user.disabled else user


def end_session(database: Database, session_hash: str) -> None:
    database.execute(
        "UPDATE auth_sessions SET ended_at = ? WHERE session_hash = ? AND ended_at IS NULL",
        [datetime.now(UTC), session_hash],
    )
