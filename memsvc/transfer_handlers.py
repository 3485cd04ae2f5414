"""Handlers of export and import, shared by the REST routes and `memsvc.Memory`: they read
and write the export file's lines (`memsvc.schemas.transfer`) or a mem0 export
(`memsvc.schemas.mem0`) and call the service. Both need the admin role.

An import reads its input twice (it checks everything before it writes anything), so it
takes a `LineSource`: a function that opens the input and returns its lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pydantic

from memsvc.domain import ValidationError, utcnow
from memsvc.domain.auth import Principal
from memsvc.domain.transfer import TransferItem
from memsvc.operations.transfer import ImportCommand, ItemSource
from memsvc.schemas.mem0 import Mem0Item, is_item, items_of
from memsvc.schemas.transfer import (
    FORMAT,
    VERSION,
    ExportHeader,
    ExportLine,
    ExportParams,
    ImportResult,
)
from memsvc.service import MemoryService
from memsvc.transfer_io import ImportFormat, LineSource

M = TypeVar("M", bound=pydantic.BaseModel)


def export(svc: MemoryService, who: Principal, params: ExportParams) -> Iterator[str]:
    """The export file's lines (each ends with a newline): the header, then one per unit.
    Role and scope are checked now; the units are read as the lines are taken."""
    from memsvc import __version__

    who.require("admin")
    scope = who.scope(params.user_id, params.agent_id, params.session_id)
    summary, items = svc.export(who.tenancy, scope)
    header = ExportHeader.of(summary, __version__, utcnow())
    return _lines(header, items)


def _lines(header: ExportHeader, items: Iterator[TransferItem]) -> Iterator[str]:
    yield header.model_dump_json() + "\n"
    for item in items:
        yield ExportLine.from_domain(item).model_dump_json() + "\n"


def import_(
    svc: MemoryService,
    who: Principal,
    source: LineSource,
    fmt: ImportFormat = "memsvc",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import an export file (or with `fmt="mem0"` a mem0 export) into the caller's tenant."""
    who.require("admin")
    if fmt == "mem0":
        reason, items = "import: mem0 export", mem0_items(source, who.tenant_id, who.key_id)
    else:
        header = read_header(source)
        reason = f"import: export of tenant {header.tenant_id} at {header.exported_at.isoformat()}"
        items = memsvc_items(source, who.tenant_id)
    cmd = ImportCommand(who.tenancy, items, who.key_id, reason, progress)
    return ImportResult.from_domain(svc.import_(cmd))


def check_input(source: LineSource, fmt: ImportFormat) -> int:
    """Read the whole input as an import does, writing nothing: ValidationError names the
    first line at fault. Returns how many memories it holds."""
    if fmt == "mem0":
        return sum(1 for _ in mem0_items(source, "check", None)())
    read_header(source)
    return sum(1 for _ in memsvc_items(source, "check")())


def read_header(source: LineSource) -> ExportHeader:
    """The export file's first line, checked: this memsvc reads format version 1."""
    first = next((line for line in source() if line.strip()), None)
    if first is None:
        raise ValidationError("the input is empty: an export file starts with its header line")
    data = _json(first, "line 1")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError(
            f'line 1: not a memsvc export header (it has no "format": "{FORMAT}"); '
            "a mem0 export is imported with format mem0 (memsvc import --from mem0)"
        )
    if data.get("version") != VERSION:
        raise ValidationError(
            f"line 1: export format version {data.get('version')!r}; this memsvc reads "
            f"version {VERSION}: import it with the memsvc that wrote it, or a newer one"
        )
    return _model(ExportHeader, data, "line 1")


def memsvc_items(source: LineSource, tenant_id: str) -> ItemSource:
    """The units of an export file, in the caller's tenant (the header was read first)."""

    def items() -> Iterator[TransferItem]:
        header = True
        for n, line in enumerate(source(), start=1):
            if not line.strip():
                continue
            if header:  # read and checked already
                header = False
                continue
            where = f"line {n}"
            record = _model(ExportLine, _json(line, where), where)
            try:
                item = record.to_domain(tenant_id, where)
            except ValueError as exc:
                raise ValidationError(f"{where}: {exc}") from exc
            yield item

    return items


def mem0_items(source: LineSource, tenant_id: str, actor: str | None) -> ItemSource:
    """The memories of a mem0 export as facts of the caller's tenant."""

    def items() -> Iterator[TransferItem]:
        for n, raw in enumerate(mem0_records(source), start=1):
            where = f"memory {n}"
            yield _model(Mem0Item, raw, where).to_domain(tenant_id, actor, where)

    return items


def mem0_records(source: LineSource) -> Iterator[Any]:
    """mem0 items from one JSON document (`{"results": [...]}` or a list), or from JSON
    lines of items or pages."""
    text = "".join(line if line.endswith("\n") else line + "\n" for line in source())
    if not text.strip():
        raise ValidationError("the input is empty: expected a mem0 export")
    try:
        documents = [json.loads(text)]
    except ValueError:
        lines = enumerate(text.splitlines(), start=1)
        documents = [_json(line, f"line {n}") for n, line in lines if line.strip()]
    for document in documents:
        if is_item(document):
            yield document
            continue
        try:
            yield from items_of(document)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def _json(line: str, where: str) -> Any:
    try:
        return json.loads(line)
    except ValueError as exc:
        raise ValidationError(f"{where}: not JSON ({exc})") from exc


def _model(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ValidationError(f"{where}: {field}: {message}", field=field) from exc
