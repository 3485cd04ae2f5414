"""`memsvc jobs run|list|show|revert` and `memsvc stats`, on the local database (embedded mode).

`jobs run` creates the job and runs it in the foreground with a progress bar; the bar follows
the progress the job reports between batches, so it shows the same thing `jobs show` does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from memsvc.domain import MemsvcError, Scope
from memsvc.domain.jobs import FINISHED, Job
from memsvc.settings import Settings

jobs_app = typer.Typer(help="Lifecycle jobs: run, list, show, revert.", no_args_is_help=True)
console = Console()
POLL_S = 0.2

UserOption = Annotated[str | None, typer.Option("--user", help="user_id of the scope")]
AgentOption = Annotated[str | None, typer.Option("--agent", help="agent_id of the scope")]
DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: MEMSVC_DATABASE_URL or ~/.memsvc)"),
]


def _settings(db: str | None, *, foreground: bool = False) -> Settings:
    settings = Settings()
    if db:
        settings = settings.model_copy(update={"database_url": db})
    if foreground:  # this process runs only the job it was asked to run
        jobs = settings.jobs.model_copy(update={"run_in_process": False})
        settings = settings.model_copy(update={"jobs": jobs})
    return settings


def _params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"--param takes name=value, got {pair!r}")
        try:
            out[name] = json.loads(raw)
        except json.JSONDecodeError:
            out[name] = raw
    return out


@jobs_app.command("run")
def run(
    kind: Annotated[str, typer.Argument(help="consolidate, forget, compress or extract")],
    user: UserOption = None,
    agent: AgentOption = None,
    session: Annotated[str | None, typer.Option("--session")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report, change nothing")] = False,
    param: Annotated[list[str] | None, typer.Option("--param", help="name=value (JSON)")] = None,
    db: DbOption = None,
) -> None:
    """Create a job for a scope and run it here, with a progress bar."""
    from memsvc.bootstrap import build

    container = build(_settings(db, foreground=True))
    try:
        scope = Scope(container.settings.default_tenant, user, agent, session)
        with _errors():
            job = container.service.create_job(scope, kind, _params(param or []), dry_run)
        claimed = container.runner.claim(job.id)
        worker = threading.Thread(target=container.runner.execute, args=(claimed,), daemon=True)
        if claimed is not None:
            worker.start()
        job = _follow(container.service.get_job, job)
        if claimed is not None:
            worker.join(timeout=5)
    finally:
        container.close()
    _show(job)
    if str(job.status) != "succeeded":
        raise typer.Exit(1)


def _follow(get: Any, job: Job) -> Job:
    """Poll the job row until it finishes, drawing its progress."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
    )
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(f"{job.kind} {job.id[:8]}", total=1.0)
        while job.status not in FINISHED:
            time.sleep(POLL_S)
            job = get(job.scope.tenant_id, job.id)
            bar.update(task, completed=job.progress)
        bar.update(task, completed=job.progress)
    return job


@jobs_app.command("list")
def list_jobs(
    kind: Annotated[str | None, typer.Option("--kind")] = None,
    status: Annotated[str | None, typer.Option("--status")] = None,
    limit: int = 20,
    db: DbOption = None,
) -> None:
    """The latest jobs, newest first (`jobs show ID` for counts and errors)."""
    from memsvc import Memory

    with Memory(_settings(db, foreground=True)) as memory:
        jobs = memory.list_jobs(kind=kind, status=status, limit=limit)
    table = Table("kind", "scope", "status", "created (UTC)")
    table.add_column("id", no_wrap=True, min_width=36)
    for job in jobs:
        table.add_row(
            job.kind + (" (dry run)" if job.dry_run else ""),
            "/".join(x or "*" for x in (job.user_id, job.agent_id, job.session_id)),
            f"{job.status} {job.progress:.0%}",
            job.created_at.strftime("%m-%d %H:%M"),
            job.id,
        )
    console.print(table)


@jobs_app.command("show")
def show(job_id: str, db: DbOption = None) -> None:
    """One job with its parameters, counts and error, as JSON."""
    from memsvc import Memory

    with Memory(_settings(db, foreground=True)) as memory, _errors():
        job = memory.get_job(job_id)
    print(json.dumps(job.model_dump(mode="json"), indent=2))


@jobs_app.command("revert")
def revert(job_id: str, db: DbOption = None) -> None:
    """Undo a finished consolidate, compress or forget job."""
    from memsvc import Memory

    with Memory(_settings(db, foreground=True)) as memory, _errors():
        result = memory.revert_job(job_id)
    console.print(f"reverted {job_id}: {result.restored} restored, {result.removed} removed")


def stats(
    user: UserOption = None,
    agent: AgentOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOption = None,
) -> None:
    """Memory health of a scope: counts, duplicate rate, shares, last job per kind."""
    from memsvc import Memory

    with Memory(_settings(db, foreground=True)) as memory:
        found = memory.stats(user_id=user, agent_id=agent)
    if as_json:
        print(json.dumps(found.model_dump(mode="json"), indent=2))
        return
    table = Table("granularity", *sorted(found.by_status), "total")
    for granularity, by_status in sorted(found.by_granularity_status.items()):
        cells = [str(by_status.get(s, 0)) for s in sorted(found.by_status)]
        table.add_row(granularity, *cells, str(found.by_granularity[granularity]))
    console.print(table)
    console.print(
        f"active facts {found.active_facts}; duplicate pairs {found.duplicate_pairs} "
        f"(rate {found.duplicate_rate:.1%}); superseded {found.superseded_share:.1%}; "
        f"archived {found.archived_share:.1%}"
    )
    for kind, job in sorted(found.last_jobs.items()):
        when = job.created_at.isoformat(timespec="seconds") if job else "never"
        console.print(f"last {kind}: {when}" + (f" ({job.status})" if job else ""))


@contextmanager
def _errors() -> Iterator[None]:
    """memsvc's own errors as one red line and exit status 1, not a traceback."""
    try:
        yield
    except MemsvcError as exc:
        console.print(f"[red]{type(exc).__name__}: {exc.message}[/red]")
        raise typer.Exit(1) from exc


def _show(job: Job) -> None:
    console.print(f"{job.kind} {job.id}: {job.status}" + (f" ({job.error})" if job.error else ""))
    console.print(_brief(job.counts, limit=None))


def _brief(counts: dict[str, Any], limit: int | None = 80) -> str:
    text = ", ".join(f"{k}={v}" for k, v in counts.items() if k != "examples")
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
