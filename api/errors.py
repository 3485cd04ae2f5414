"""One place that maps errors to HTTP responses: {"error": {type, message, field, details}}."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from memsvc.domain.errors import MemsvcError, RateLimitedError
from memsvc.schemas.types import printable

logger = logging.getLogger(__name__)


def error_response(
    status: int,
    kind: str,
    message: str,
    field: str | None = None,
    details: list[dict[str, str | None]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    # A message or field may quote the request's text: lone surrogates in it are escaped, or
    # the error itself could not be written as UTF-8.
    body: dict[str, Any] = {"type": kind, "message": printable(message)}
    if field:
        body["field"] = printable(field)
    if details is not None:
        body["details"] = [{k: printable(v) if v else v for k, v in d.items()} for d in details]
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _kind(exc: MemsvcError) -> str:
    name = type(exc).__name__.removesuffix("Error")
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_") or "error"


def _describe(errors: list[dict[str, Any]]) -> tuple[str, str | None, list[dict[str, Any]]]:
    details = [_detail(err) for err in errors]
    first = details[0] if details else {"field": None, "message": "invalid request"}
    where = f"{first['field']}: " if first["field"] else ""
    return where + str(first["message"]), first["field"], details


def _detail(err: dict[str, Any]) -> dict[str, str | None]:
    """One pydantic error as {field, message}, in words a client can act on."""
    loc = [str(p) for p in err.get("loc", ())]
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]  # where it came from, not which field
    kind, ctx = err.get("type"), err.get("ctx", {})
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if kind in ("union_tag_invalid", "union_tag_not_found"):  # e.g. a job's `kind`
        tag = str(ctx.get("discriminator", "")).strip("'")
        loc.append(tag)
        expected = ctx.get("expected_tags")
        message = f"must be one of {expected}" if expected else "is required"
    elif not loc and kind == "missing":
        message = "a JSON body is required"
    elif not loc and kind in ("model_attributes_type", "model_type", "dict_type"):
        message = "the body must be a JSON object"
    elif kind == "json_invalid":  # its loc is the character position
        where = f" at character {loc[0]}" if loc else ""
        loc = ["body"]
        message = f"not valid JSON ({ctx.get('error', 'malformed')}{where})"
    return {"field": ".".join(loc) or None, "message": message}


def _documented_methods(request: Request) -> str | None:
    """The methods the OpenAPI schema documents for the request's path, for a 405's Allow
    header (Starlette's lists only the methods of the first route that matched, and each of
    our routes has one). A literal path (/v1/memories/search) wins over a template that also
    matches it (/v1/memories/{memory_id}); None for a path the schema does not document."""
    paths: dict[str, dict[str, Any]] = request.app.openapi()["paths"]
    matching = [t for t in paths if _template(t).fullmatch(request.url.path)]
    if not matching:
        return None
    best = min(matching, key=lambda t: t.count("{"))
    return ", ".join(sorted(method.upper() for method in paths[best]))


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


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
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, field, details = _describe(list(exc.errors()))
        if field is None and "json" not in request.headers.get("content-type", "json"):
            # FastAPI reads only JSON bodies: any other content type arrives as no object.
            message, field = "send the body as JSON with 'Content-Type: application/json'", "body"
        return error_response(422, "validation", message, field, details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            # FastAPI's answer to a body it cannot decode (not UTF-8, or not the declared type).
            return error_response(
                422,
                "validation",
                "the request body could not be read: send UTF-8 JSON with "
                "'Content-Type: application/json'",
                "body",
            )
        headers = dict(exc.headers) if exc.headers else None
        message = str(exc.detail)
        allowed = _documented_methods(request) if exc.status_code == 405 else None
        if allowed is not None:
            headers = {**(headers or {}), "Allow": allowed}
            message = f"{request.method} is not allowed here; use {allowed}"
        return error_response(exc.status_code, "http", message, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error")
        return error_response(500, "internal", "internal error; see the server log")
