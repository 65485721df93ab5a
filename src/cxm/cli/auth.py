"""``cxm users``, ``cxm keys`` and ``cxm audit``: who may use CXM, and what they did."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cxm.auth.scopes import ROLES, SCOPES
from cxm.settings import get_settings

users_app = typer.Typer(help="Users of the dashboard and API, with roles.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys with scopes.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of personal-data access.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _fail(field: str, reason: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {field}: {reason}")
    return typer.Exit(2)


def login_url(token: str) -> str:
    settings = get_settings()
    return f"http://{settings.host}:{settings.port}/login/link/{token}"


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., help=f"One of: {', '.join(ROLES)}."),
) -> None:
    """Create a user; prints a one-time password and a one-time login link."""
    from cxm.auth import UserError, create_login_link_token, create_user
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        user, password = create_user(database, name, role)
        token = create_login_link_token(database, user)
    except UserError as error:
        raise _fail(error.field, error.reason) from None
    finally:
        database.close()
    console.print(f"user {user.name!r} ({user.role}) created")
    console.print(f"password (shown once): {password}")
    console.print(f"or sign in once, within an hour: {login_url(token)}")


@users_app.command("login-link")
def users_login_link(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Print a one-time login link for a user (valid for an hour)."""
    from cxm.auth import create_login_link_token, user_by_name
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    try:
        user = user_by_name(database, name)
        if user is None or user.disabled:
            raise _fail("name", f"no active user named {name!r}")
        console.print(login_url(create_login_link_token(database, user)))
    finally:
        database.close()


@users_app.command("list")
def users_list() -> None:
    """List users and roles."""
    from cxm.auth import list_users
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    table = Table("name", "role", "created", "active")
    for u in list_users(database):
        table.add_row(u.name, u.role, u.created_at.isoformat(), "no" if u.disabled else "yes")
    database.close()
    console.print(table)


@users_app.command("disable")
def users_disable(name: str = typer.Argument(...)) -> None:
    """Disable a user and end their sessions."""
    from cxm.auth import disable_user
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    found = disable_user(database, name)
    database.close()
    if not found:
        raise _fail("name", f"no user named {name!r}")
    console.print(f"user {name!r} disabled")


@keys_app.command("create")
def keys_create(
    scope: list[str] = typer.Option(
        ..., "--scope", help=f"Repeat for several: {', '.join(SCOPES)}."
    ),
    name: str = typer.Option("api key", help="What the key is for."),
) -> None:
    """Create an API key; prints it once (only its hash is stored)."""
    from cxm.auth import UserError, create_api_key
    from cxm.cli.privacy import cli_actor
    from cxm.store import open_database

    scopes = [s.strip() for item in scope for s in item.split(",") if s.strip()]
    database = open_database(get_settings().database_url)
    try:
        key, plaintext = create_api_key(database, name, scopes, cli_actor())
    except UserError as error:
        raise _fail(error.field, error.reason) from None
    finally:
        database.close()
    console.print(f"key {key.key_id} ({', '.join(sorted(key.scopes))}) — shown once:")
    console.print(plaintext, soft_wrap=True)


@keys_app.command("list")
def keys_list() -> None:
    """List API keys (never their secrets)."""
    from cxm.auth import list_api_keys
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    table = Table("key id", "name", "scopes", "created by", "revoked")
    for k in list_api_keys(database):
        table.add_row(
            k.key_id, k.name, " ".join(sorted(k.scopes)), k.created_by, "yes" if k.revoked else "no"
        )
    database.close()
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(...)) -> None:
    """Revoke an API key."""
    from cxm.auth import revoke_api_key
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    found = revoke_api_key(database, key_id)
    database.close()
    if not found:
        raise _fail("key_id", f"no API key {key_id!r}")
    console.print(f"key {key_id} revoked")


@audit_app.command("list")
def audit_list(
    limit: int = typer.Option(50, help="How many entries, newest first."),
    actor: str = typer.Option(None, help="Only this actor, e.g. user:ana or key:ab12…"),
    action: str = typer.Option(None, help="Only this action, e.g. privacy.erase."),
    subject: str = typer.Option(None, help="Only this profile id or identifier."),
) -> None:
    """Show the audit log."""
    from cxm.auth.audit import list_audit
    from cxm.store import open_database

    database = open_database(get_settings().database_url)
    entries = list_audit(database, limit=limit, actor=actor, action=action, subject=subject)
    database.close()
    table = Table("at", "actor", "via", "action", "resource", "subject", "outcome")
    for e in entries:
        table.add_row(
            e.occurred_at.isoformat(timespec="seconds"),
            e.actor,
            e.via,
            e.action,
            e.resource,
            e.subject or "",
            e.outcome,
        )
    console.print(table)


def demo_admin_link() -> str | None:
    """For `cxm demo`: make sure an 'admin' user exists and return a one-time login link
    (None when sign-in is switched off)."""
    from cxm.auth import create_login_link_token, create_user, user_by_name
    from cxm.store import open_database

    settings = get_settings()
    if not settings.auth_required:
        return None
    database = open_database(settings.database_url)
    try:
        user = user_by_name(database, "admin") or create_user(database, "admin", "admin")[0]
        return login_url(create_login_link_token(database, user))
    finally:
        database.close()
