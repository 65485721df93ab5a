"""Who may do what: users with roles, API keys with scopes, sessions and the audit log.

FastAPI dependencies live in ``cxm.auth.deps`` (kept out of this facade so the CLI
does not import the web stack).
"""

from cxm.auth.keys import ApiKey, create_api_key, list_api_keys, resolve_api_key, revoke_api_key
from cxm.auth.principal import LOCAL, Principal
from cxm.auth.scopes import ROLE_SCOPES, ROLES, SCOPES
from cxm.auth.sessions import (
    create_login_link_token,
    end_session,
    redeem_login_link,
    session_user,
    start_session,
)
from cxm.auth.users import (
    User,
    UserError,
    check_password,
    create_user,
    disable_user,
    list_users,
    user_by_name,
)

__all__ = [
    "LOCAL",
    "ROLES",
    "ROLE_SCOPES",
    "SCOPES",
    "ApiKey",
    "Principal",
    "User",
    "UserError",
    "check_password",
    "create_api_key",
    "create_login_link_token",
    "create_user",
    "disable_user",
    "end_session",
    "list_api_keys",
    "list_users",
    "redeem_login_link",
    "resolve_api_key",
    "revoke_api_key",
    "session_user",
    "start_session",
    "user_by_name",
]
