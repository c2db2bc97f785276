"""One JSON shape for every error: ``{"error": {"code": "...", "message": "...", "details": ...}}``.

Routes raise :class:`ApiError`; ACD failures map to HTTP here (a stale offer is 409, an unknown call 404,
an unreachable store 503), so no route needs to know them all and nothing but a bug becomes a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from receptionist.acd.errors import (
    AcdError,
    IllegalCallState,
    IllegalTransition,
    InvalidConfig,
    StaleOffer,
    StoreUnavailable,
    UnknownAgent,
    UnknownCall,
    UnknownQueue,
)

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_request",
    429: "too_many_requests", 500: "internal", 503: "unavailable",
}  # fmt: skip


class ApiError(Exception):
    """An error a route reports to its client."""

    def __init__(self, status: int, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "error")
        self.message = message
        self.details = details


def not_found(what: str) -> ApiError:
    return ApiError(404, f"no such {what}")


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = jsonable_encoder(details)
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def acd_error(exc: AcdError) -> ApiError:
    """The HTTP face of an ACD failure."""
    if isinstance(exc, StaleOffer):
        return ApiError(409, f"the offer is {exc.reason}", code="offer_closed")
    if isinstance(exc, IllegalTransition | IllegalCallState):
        return ApiError(409, str(exc), code="conflict")
    if isinstance(exc, UnknownCall | UnknownAgent | UnknownQueue):
        return ApiError(404, "not found", code="not_found")
    if isinstance(exc, InvalidConfig):
        return ApiError(422, str(exc), code="invalid_request")
    if isinstance(exc, StoreUnavailable):
        return ApiError(503, "the call distributor is unavailable; try again", code="unavailable")
    return ApiError(500, "internal error", code="internal")


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the same shape."""

    @app.exception_handler(ApiError)
    async def _api(_request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(AcdError)
    async def _acd(_request: Request, exc: AcdError) -> JSONResponse:
        api = acd_error(exc)
        if api.status >= 500:
            log.error("ACD failure: %s", exc)
        return error_response(api.status, api.code, api.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(exc.status_code, code, message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        malformed = any(d["type"] == "json_invalid" for d in details)
        message = "the body is not valid JSON" if malformed else "the request is not valid"
        return error_response(422, "invalid_json" if malformed else "invalid_request", message, details)

    @app.exception_handler(Exception)
    async def _bug(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error in the API", exc_info=exc)
        return error_response(500, "internal", "internal error")
