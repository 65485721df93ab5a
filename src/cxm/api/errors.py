"""One error shape for the whole API: ``{"error": code, "field": path, "reason": text}``.

Client mistakes are 4xx with the field that is wrong; FastAPI's own validation
errors are reshaped to the same form (400, not 422, as Segment answers).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cxm.api.responses import FastJSONResponse
from cxm.errors import FieldError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        field: str,
        reason: str,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.status = status
        self.code = code
        self.field = field
        self.reason = reason
        self.details = details

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "field": self.field, "reason": self.reason}
        if self.details:
            body["errors"] = self.details
        return body


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path")]
    return ".".join(parts) or "(body)"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, error: ApiError) -> FastJSONResponse:
        headers = {"WWW-Authenticate": "Basic"} if error.status == 401 else None
        return FastJSONResponse(error.body(), status_code=error.status, headers=headers)

    @app.exception_handler(FieldError)
    async def _field_error(_: Request, error: FieldError) -> FastJSONResponse:
        # Any package's bad-input error that a route did not translate itself.
        code = {404: "not_found", 409: "conflict"}.get(error.status, error.code)
        body = {"error": code, "field": error.field, "reason": error.reason}
        return FastJSONResponse(body, status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, error: RequestValidationError) -> FastJSONResponse:
        details = [
            {"field": _field_path(tuple(e.get("loc", ()))), "reason": e.get("msg", "invalid")}
            for e in error.errors()
        ]
        first = details[0] if details else {"field": "(body)", "reason": "invalid"}
        body = {"error": "invalid_request", **first, "errors": details}
        return FastJSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> FastJSONResponse:
        code = "not_found" if error.status_code == 404 else "http_error"
        body = {"error": code, "field": "(url)", "reason": str(error.detail)}
        return FastJSONResponse(body, status_code=error.status_code)
