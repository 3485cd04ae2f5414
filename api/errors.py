"""One place that maps errors to HTTP responses: {"error": {type, message, field, details}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from memsvc.domain.errors import MemsvcError, RateLimitedError

logger = logging.getLogger(__name__)


def error_response(
    status: int,
    kind: str,
    message: str,
    field: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": kind, "message": message}
    if field:
        body["field"] = field
    if details is not None:
        body["details"] = details
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _kind(exc: MemsvcError) -> str:
    name = type(exc).__name__.removesuffix("Error")
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_") or "error"


def _describe(errors: list[dict[str, Any]]) -> tuple[str, str | None, list[dict[str, Any]]]:
    details = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]  # where it came from, not which field
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        details.append({"field": ".".join(loc) or None, "message": message})
    first = details[0] if details else {"field": None, "message": "invalid request"}
    where = f"{first['field']}: " if first["field"] else ""
    return where + str(first["message"]), first["field"], details


def install(app: FastAPI) -> None:
    @app.exception_handler(MemsvcError)
    async def _memsvc(_: Request, exc: MemsvcError) -> JSONResponse:
        if exc.status_code >= 500:
            logger.error("%s: %s", type(exc).__name__, exc.message)
        headers = None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            headers = {"Retry-After": str(exc.retry_after)}
        return error_response(exc.status_code, _kind(exc), exc.message, exc.field, None, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, field, details = _describe(list(exc.errors()))
        return error_response(422, "validation", message, field, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # FastAPI's answer to a body it cannot decode (not UTF-8, or not the declared type).
            return error_response(
                422,
                "validation",
                "the request body could not be read: send UTF-8 JSON with "
                "'Content-Type: application/json'",
                "body",
            )
        return error_response(exc.status_code, "http", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return error_response(500, "internal", "internal error; see the server log")
