"""Segment-compatible collection endpoints (``/v1/track`` ... ``/v1/batch``).

Thin: read the body within its size limit, authenticate the write key, hand the
messages to the collector, wait for the group commit, answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request

from cxm.api.auth import authenticate_source
from cxm.api.body import read_json_body
from cxm.api.errors import ApiError
from cxm.api.responses import FastJSONResponse
from cxm.api.segment_models import Accepted, BatchAccepted, BatchRequest, ErrorBody, Message
from cxm.api.state import AppState
from cxm.collect.messages import InvalidMessage

router = APIRouter(prefix="/v1", tags=["collect"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid input; `field` names what is wrong."},
    401: {"model": ErrorBody, "description": "Missing or unknown write key."},
    413: {"model": ErrorBody, "description": "Larger than 32 KB (event) or 500 KB (batch)."},
}


def _body_schema(model: type[Message] | type[BatchRequest]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


async def _committed(state: AppState, future_events: Any) -> None:
    try:
        await asyncio.wrap_future(future_events)
    except Exception as error:
        raise ApiError(
            503, "storage_unavailable", "(server)", "the event store did not commit; retry"
        ) from error


@router.post(
    "/batch",
    response_model=BatchAccepted,
    responses=_ERRORS,
    openapi_extra=_body_schema(BatchRequest),
    summary="Send many messages at once (Segment batch).",
)
async def batch(request: Request) -> FastJSONResponse:
    state = AppState.of(request)
    body = await read_json_body(request, state.settings.max_batch_bytes)
    source = authenticate_source(request, body, state.write_keys)
    messages = body.get("batch") if isinstance(body, dict) else None
    if not isinstance(messages, list):
        raise ApiError(400, "invalid_request", "batch", "must be a list of messages")
    if not messages:
        raise ApiError(400, "invalid_request", "batch", "must contain at least one message")
    prepared = state.collector.prepare_batch(
        messages, body, source, client_ip=request.client.host if request.client else None
    )
    await _committed(state, state.collector.commit(prepared.events, prepared.quarantined, source))
    return FastJSONResponse(
        {
            "success": True,
            "accepted": len(prepared.events),
            "quarantined": [e.as_dict() for e in prepared.errors],
        }
    )


def _single(message_type: str) -> Callable[[Request], Awaitable[FastJSONResponse]]:
    async def handler(request: Request) -> FastJSONResponse:
        state = AppState.of(request)
        body = await read_json_body(request, state.settings.max_event_bytes)
        source = authenticate_source(request, body, state.write_keys)
        try:
            client_ip = request.client.host if request.client else None
            row = state.collector.prepare_single(body, message_type, source, client_ip=client_ip)
        except InvalidMessage as error:
            raise ApiError(400, "invalid_message", error.field, error.reason) from error
        await _committed(state, state.collector.commit([row], [], source))
        return FastJSONResponse({"success": True})

    handler.__name__ = message_type
    return handler


for _type in ("track", "identify", "page", "screen", "group", "alias"):
    router.add_api_route(
        f"/{_type}",
        _single(_type),
        methods=["POST"],
        response_model=Accepted,
        responses=_ERRORS,
        openapi_extra=_body_schema(Message),
        summary=f"Record one {_type} call (Segment spec).",
    )
