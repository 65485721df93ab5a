"""OpenAPI documentation of the Segment tracking spec messages CXM accepts.

Validation itself happens in ``cxm.collect.messages`` (the hot path); these
models describe the same shape for ``/docs`` and SDK authors.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Message(BaseModel):
    type: Literal["track", "identify", "page", "screen", "group", "alias"] | None = Field(
        default=None, description="Implied by the URL for single calls; required inside a batch."
    )
    messageId: str | None = Field(
        default=None, description="Idempotency key: a retried message is stored once."
    )
    userId: str | None = Field(default=None, description="userId or anonymousId is required.")
    anonymousId: str | None = None
    event: str | None = Field(default=None, description="Event name; required for track.")
    name: str | None = Field(default=None, description="Page or screen name.")
    groupId: str | None = Field(default=None, description="Required for group.")
    previousId: str | None = Field(default=None, description="Required for alias.")
    timestamp: str | None = Field(default=None, description="ISO 8601; when it happened.")
    sentAt: str | None = Field(
        default=None, description="ISO 8601; when the client sent it (clock-skew correction)."
    )
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = None
    context: dict[str, Any] | None = Field(
        default=None,
        description=(
            "campaign, page {url, referrer}, userAgent, ip, locale, library, and the CXM "
            "touchpoint `channel` (web, app, store, email, messaging, social, "
            "contact_centre, help_desk, review, survey, other)."
        ),
    )
    integrations: dict[str, Any] | None = None


class BatchRequest(BaseModel):
    batch: list[Message]
    writeKey: str | None = Field(default=None, description="Alternative to HTTP Basic auth.")
    sentAt: str | None = None
    context: dict[str, Any] | None = None


class Accepted(BaseModel):
    success: bool = True


class QuarantinedMessage(BaseModel):
    index: int
    field: str
    reason: str


class BatchAccepted(Accepted):
    accepted: int
    quarantined: list[QuarantinedMessage]


class ErrorBody(BaseModel):
    error: str
    field: str
    reason: str
