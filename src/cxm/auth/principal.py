"""Who is acting: a user (browser session), an API key, the CLI operator, or nobody
checked (auth disabled on a laptop)."""

from __future__ import annotations

from dataclasses import dataclass

from cxm.auth.scopes import ROLE_SCOPES


@dataclass(frozen=True)
class Principal:
    actor: str  # 'user:<name>', 'key:<key id>', 'cli:<os user>' or 'local'
    kind: str  # user, key, cli, local
    scopes: frozenset[str]
    role: str | None = None
    user_id: str | None = None
    session_hash: str | None = None

    def may(self, scope: str) -> bool:
        return scope in self.scopes


LOCAL = Principal("local", "local", ROLE_SCOPES["admin"], role="admin")
