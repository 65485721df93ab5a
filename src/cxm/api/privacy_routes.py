"""Data-subject rights over HTTP: export a person, erase a person, list erase receipts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from cxm.api.errors import ApiError
from cxm.api.state import AppState
from cxm.auth.audit import INVALID, NOT_FOUND, identifier_subject
from cxm.auth.deps import AuditRead, PrivacyErase, PrivacyExport, audit
from cxm.privacy import PersonNotFound, SubjectError, erase_person, export_person, list_receipts

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])


class EraseRequest(BaseModel):
    identifier: str = Field(
        description="Profile id, 'type:value' (email:ana@x.de, record:crm:CRM-1) or a bare value."
    )


def _outcome(error: SubjectError) -> str:
    return NOT_FOUND if isinstance(error, PersonNotFound) else INVALID


def _refused(error: SubjectError) -> ApiError:
    status = 404 if isinstance(error, PersonNotFound) else 400
    code = "not_found" if status == 404 else "invalid_request"
    return ApiError(status, code, error.field, error.reason)


@router.get("/export/{identifier}", summary="Everything held about a person, as JSON.")
def export(identifier: str, request: Request, _: PrivacyExport) -> dict[str, Any]:
    subject = identifier_subject(identifier)
    try:
        document = export_person(AppState.of(request).database, identifier)
    except SubjectError as error:
        audit(request, "privacy.export", subject, _outcome(error))
        raise _refused(error) from None
    audit(request, "privacy.export", subject)
    return document


@router.post("/erase", summary="Erase a person everywhere; returns the erase receipt.")
def erase(body: EraseRequest, request: Request, principal: PrivacyErase) -> dict[str, object]:
    subject = identifier_subject(body.identifier)
    try:
        receipt = erase_person(AppState.of(request).database, body.identifier, principal.actor)
    except SubjectError as error:
        audit(request, "privacy.erase", subject, _outcome(error))
        raise _refused(error) from None
    audit(request, "privacy.erase", subject)
    return receipt.as_dict()


@router.get("/receipts", summary="Erase receipts, newest first (no personal data).")
def receipts(request: Request, _: AuditRead, limit: int = 100) -> list[dict[str, object]]:
    return [r.as_dict() for r in list_receipts(AppState.of(request).database, limit)]
