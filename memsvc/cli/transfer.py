"""`memsvc export` and `memsvc import`: move a scope's memories between deployments, on the
local database (embedded mode) or, with `--url`, a memsvc server (an admin key)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from memsvc.settings import Settings
from memsvc.transfer_io import ImportFormat

if TYPE_CHECKING:
    from memsvc.client import Memory, MemoryClient

console = Console(stderr=True)  # stdout may carry the export itself

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: MEMSVC_DATABASE_URL or ~/.memsvc)"),
]
TenantOption = Annotated[
    str | None, typer.Option("--tenant", help="Tenant on the local database (default: dev tenant)")
]
UrlOption = Annotated[
    str | None, typer.Option("--url", help="A memsvc server instead of the local database")
]
KeyOption = Annotated[str | None, typer.Option("--api-key", help="An admin API key for --url")]


@contextmanager
def _sdk(
    db: str | None, tenant: str | None, url: str | None, api_key: str | None
) -> Iterator[Memory | MemoryClient]:
    from memsvc.client import Memory, MemoryClient
    from memsvc.domain import MemsvcError

    try:
        if url:
            with MemoryClient(url, api_key=api_key, timeout=300.0) as client:
                yield client
            return
        settings = Settings()
        jobs = settings.jobs.model_copy(update={"run_in_process": False})  # no queued jobs here
        settings = settings.model_copy(update={"jobs": jobs})
        if db:
            settings = settings.model_copy(update={"database_url": db})
        with Memory(settings, tenant_id=tenant) as memory:
            yield memory
    except MemsvcError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc


def _bar(what: str) -> Progress:
    return Progress(
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def export(
    user: Annotated[str | None, typer.Option("--user", help="Export this user's memories")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="...this agent's")] = None,
    session: Annotated[str | None, typer.Option("--session", help="...this session's")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: standard output)")
    ] = None,
    db: DbOption = None,
    tenant: TenantOption = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Export memories as JSON lines: a header, then each memory with its provenance and
    history (no vectors: an import embeds the text again). None of --user/--agent/--session:
    the whole tenant."""
    with _sdk(db, tenant, url, api_key) as sdk:
        lines = sdk.export(user_id=user, agent_id=agent, session_id=session)
        if out is None:
            _write(lines, sys.stdout)
        else:
            with out.open("w", encoding="utf-8") as f:
                _write(lines, f)
            console.print(f"exported to {out}")


def _write(lines: Iterator[str], stream: TextIO) -> None:
    header = next(lines)
    stream.write(header)
    total = int(json.loads(header)["counts"]["units"])
    with _bar("exporting") as bar:
        task = bar.add_task("units", total=total)
        for line in lines:
            stream.write(line)
            bar.advance(task)
    stream.flush()


def import_(
    file: Annotated[Path, typer.Argument(help="An export file (.gz too), or a mem0 export")],
    source: Annotated[
        str, typer.Option("--from", help="memsvc (an export file) or mem0 (Memory.get_all())")
    ] = "memsvc",
    db: DbOption = None,
    tenant: TenantOption = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Import memories into this tenant (whatever tenant the file names). The whole file is
    checked first; memories present already (by id) are skipped, so running the import
    again continues one that stopped."""
    if source not in ("memsvc", "mem0"):
        raise typer.BadParameter("--from must be memsvc or mem0", param_hint="--from")
    if not file.is_file():
        raise typer.BadParameter(f"no such file: {file}", param_hint="FILE")
    with _sdk(db, tenant, url, api_key) as sdk, _bar("importing") as bar:
        task = bar.add_task("units", total=_total(file, source))
        step: Callable[[int], None] = lambda n: bar.advance(task, n)  # noqa: E731
        fmt: ImportFormat = "mem0" if source == "mem0" else "memsvc"
        result = sdk.import_(file, format=fmt, progress=step)
    console.print(
        f"read {result.read}: {result.created} imported, {result.skipped} present already "
        f"(skipped), {result.history} history entries"
        + (f", {result.key_clashes} without their idempotency key" if result.key_clashes else "")
    )


def _total(file: Path, source: str) -> int | None:
    """Units the file holds, from its header (mem0 files do not say)."""
    if source != "memsvc":
        return None
    from memsvc.transfer_io import line_source

    first = next((line for line in line_source(file)() if line.strip()), "")
    try:
        return int(json.loads(first)["counts"]["units"])
    except (ValueError, KeyError, TypeError):
        return None  # the import names what is wrong with the header
