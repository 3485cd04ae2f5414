"""Export and import of memories (admin role): a streamed export file, and an import of one.

A request body is limited (`MEMSVC_LIMITS_MAX_BODY_BYTES`): a larger file is imported in
several requests, each holding the header line and a run of unit lines. Imports skip what is
present by id, so the requests may also be re-sent; the SDK's `import_` does the chunking.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from memsvc.api.deps import PrincipalDep, ServiceDep
from starlette.concurrency import run_in_threadpool

from memsvc import transfer_handlers
from memsvc.domain import ValidationError
from memsvc.schemas.transfer import ExportParams, ImportResult
from memsvc.transfer_io import ImportFormat

router = APIRouter(tags=["transfer"])
NDJSON = "application/x-ndjson"
_EXPORT_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export file: a header line, then one line per memory with its "
        "history (JSON lines).",
        "content": {NDJSON: {"schema": {"type": "string"}}},
    }
}
_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An export file (JSON lines, header first), or with format=mem0 a "
        'mem0 export ({"results": [...]}).',
        "content": {NDJSON: {"schema": {"type": "string"}}},
    }
}


@router.get("/v1/export", response_class=StreamingResponse, responses=_EXPORT_DOC)
def export(
    params: Annotated[ExportParams, Query()], svc: ServiceDep, who: PrincipalDep
) -> StreamingResponse:
    """Export a user's, agent's or session's memories (or the whole tenant's): every memory
    in any state, oldest first, with provenance, history and idempotency key; no vectors
    (an import embeds the text again)."""
    lines = transfer_handlers.export(svc, who, params)
    return StreamingResponse((line.encode() for line in lines), media_type=NDJSON)


@router.post("/v1/import", openapi_extra=_IMPORT_BODY)
async def import_(
    request: Request, svc: ServiceDep, who: PrincipalDep, format: ImportFormat = "memsvc"
) -> ImportResult:
    """Import an export file (or a mem0 export) into your tenant, whatever tenant the file
    names. Checked whole before anything is written; memories present already (by id) are
    skipped, so a request sent again, or the rest of a file, continues the import."""
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError("the body is not UTF-8 text") from exc
    lines = text.splitlines(keepends=True)
    return await run_in_threadpool(transfer_handlers.import_, svc, who, lambda: lines, format)
