"""The app's secrets: the cookie signing key and the pseudonymisation key.

``CXM_SECRET_KEY`` wins when set; otherwise one is generated on first use and kept
in ``auth_secrets`` so every API process on the same database agrees and sessions
survive a restart.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from cxm.auth.tokens import new_token
from cxm.store import Database

_cache: WeakKeyDictionary[Database, dict[str, str]] = WeakKeyDictionary()
# First use from many threads at once (e.g. the engage senders signing webhooks) would
# race to insert the same row; DuckDB answers the loser with a write conflict. Other
# processes are covered by ON CONFLICT DO NOTHING and the re-read.
_first_use = threading.Lock()


def stored_secret(database: Database, name: str) -> str:
    known = _cache.get(database)
    if known is not None and name in known:
        return known[name]
    with _first_use:
        return _load_or_create(database, name)


def _load_or_create(database: Database, name: str) -> str:
    known = _cache.setdefault(database, {})
    if name in known:
        return known[name]
    value = database.scalar("SELECT value FROM auth_secrets WHERE name = ?", [name])
    if value is None:
        database.execute(
            "INSERT INTO auth_secrets (name, value, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            [name, new_token(32), datetime.now(UTC)],
        )
        value = database.scalar("SELECT value FROM auth_secrets WHERE name = ?", [name])
    known[name] = str(value)
    return known[name]


def signing_key(database: Database, configured: str) -> str:
    return configured or stored_secret(database, "signing_key")
