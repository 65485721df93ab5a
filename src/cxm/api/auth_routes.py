"""Users, API keys and the audit log over HTTP (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from cxm.api.errors import ApiError
from cxm.api.state import AppState
from cxm.auth import (
    ROLES,
    SCOPES,
    UserError,
    create_api_key,
    create_user,
    list_api_keys,
    list_users,
    revoke_api_key,
)
from cxm.auth.audit import list_audit
from cxm.auth.deps import AuditRead, AuthAdmin

router = APIRouter(prefix="/v1", tags=["auth"])


class NewKey(BaseModel):
    name: str = Field(description="What the key is for, e.g. 'nightly export'.")
    scopes: list[str] = Field(description=f"Any of: {', '.join(SCOPES)}.")


class NewUser(BaseModel):
    name: str
    role: str = Field(description=f"One of: {', '.join(ROLES)}.")


def _invalid(error: UserError) -> ApiError:
    status = 409 if "already exists" in error.reason else 400
    return ApiError(status, "invalid_request", error.field, error.reason)


@router.post("/keys", status_code=201, summary="Create an API key; the key is shown only now.")
def keys_create(body: NewKey, request: Request, principal: AuthAdmin) -> dict[str, object]:
    try:
        key, plaintext = create_api_key(
            AppState.of(request).database, body.name, body.scopes, principal.actor
        )
    except UserError as error:
        raise _invalid(error) from None
    return {"key_id": key.key_id, "name": key.name, "scopes": sorted(key.scopes), "key": plaintext}


@router.get("/keys", summary="API keys (never their secrets).")
def keys_list(request: Request, _: AuthAdmin) -> list[dict[str, object]]:
    return [
        {
            "key_id": k.key_id,
            "name": k.name,
            "scopes": sorted(k.scopes),
            "created_by": k.created_by,
            "created_at": k.created_at.isoformat(),
            "revoked": k.revoked,
        }
        for k in list_api_keys(AppState.of(request).database)
    ]


@router.delete("/keys/{key_id}", summary="Revoke an API key.")
def keys_revoke(key_id: str, request: Request, _: AuthAdmin) -> dict[str, object]:
    if not revoke_api_key(AppState.of(request).database, key_id):
        raise ApiError(404, "not_found", "key_id", "no API key with this id")
    return {"key_id": key_id, "revoked": True}


@router.post("/users", status_code=201, summary="Create a user; the password is shown only now.")
def users_create(body: NewUser, request: Request, _: AuthAdmin) -> dict[str, object]:
    try:
        user, password = create_user(AppState.of(request).database, body.name, body.role)
    except UserError as error:
        raise _invalid(error) from None
    return {"user_id": user.user_id, "name": user.name, "role": user.role, "password": password}


@router.get("/users", summary="Users and their roles.")
def users_list(request: Request, _: AuthAdmin) -> list[dict[str, object]]:
    return [
        {
            "name": u.name,
            "role": u.role,
            "created_at": u.created_at.isoformat(),
            "disabled": u.disabled,
        }
        for u in list_users(AppState.of(request).database)
    ]


@router.get("/audit", summary="Who read or changed personal data, newest first.")
def audit_list(
    request: Request,
    _: AuditRead,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    actor: str | None = None,
    action: str | None = None,
    subject: Annotated[str | None, Query(description="Profile id or identifier.")] = None,
) -> list[dict[str, object]]:
    entries = list_audit(
        AppState.of(request).database, limit=limit, actor=actor, action=action, subject=subject
    )
    return [
        {
            "at": e.occurred_at.isoformat(),
            "actor": e.actor,
            "via": e.via,
            "action": e.action,
            "resource": e.resource,
            "subject": e.subject,
            "outcome": e.outcome,
        }
        for e in entries
    ]
