"""The `memsvc` command line (typer). Entry point: `memsvc = memsvc.cli.main:app`."""

from __future__ import annotations

import ipaddress
import json
import socket
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from memsvc.cli import transfer
from memsvc.cli.jobs import jobs_app
from memsvc.cli.jobs import stats as stats_command
from memsvc.cli.worker import PostgresOption, pgserver_url, worker
from memsvc.settings import Settings

if TYPE_CHECKING:  # imported where used: the CLI starts without loading the stores
    from memsvc.stores.keys import KeyRepository

app = typer.Typer(help="memsvc: long-term memory for AI agents.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys (each bound to one tenant).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(jobs_app, name="jobs")
app.command("stats")(stats_command)
app.command("worker")(worker)
app.command("export")(transfer.export)
app.command("import")(transfer.import_)
console = Console()

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: MEMSVC_DATABASE_URL or ~/.memsvc)"),
]


def _settings(db: str | None) -> Settings:
    settings = Settings()
    return settings.model_copy(update={"database_url": db}) if db else settings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    db: DbOption = None,
    postgres: PostgresOption = None,
) -> None:
    """Serve the REST API (docs at /docs, memory inspector at /ui, metrics at /metrics)."""
    import uvicorn

    from memsvc.api.app import create_app
    from memsvc.bootstrap import build
    from memsvc.logs import configure as configure_logs

    settings = _settings(pgserver_url(postgres) if postgres is not None else db)
    host, port = host or settings.host, port or settings.port
    configure_logs(settings.log_level, settings.log_format)
    container = build(settings)
    if container.service.dev_mode and not _is_loopback(host):
        container.close()
        console.print(
            f"[red]refusing to bind {host}: no API keys exist, so the server would run in "
            "single-tenant dev mode. Create a key first (memsvc keys create --tenant T) or "
            "bind to 127.0.0.1.[/red]"
        )
        raise typer.Exit(2)
    try:
        uvicorn.run(
            create_app(container=container),
            host=host,
            port=port,
            log_level=settings.log_level,
            log_config=None,  # our handlers (memsvc.logs); the request line is ours too
            access_log=False,
        )
    finally:
        container.close()


@app.command()
def migrate(db: DbOption = None) -> None:
    """Bring the database schema to the latest revision."""
    from memsvc.stores.engine import make_engine
    from memsvc.stores.migrate import upgrade

    settings = _settings(db)
    engine = make_engine(settings.resolved_database_url)
    revision = upgrade(engine)
    engine.dispose()
    console.print(f"schema at revision {revision} ({settings.resolved_database_url})")


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant the key acts for")],
    name: Annotated[str | None, typer.Option(help="A label for the key")] = None,
    role: Annotated[str, typer.Option(help="admin, writer or reader")] = "writer",
    user: Annotated[str | None, typer.Option("--user", help="Narrow the key to a user")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Narrow the key to an agent")] = None,
    db: DbOption = None,
) -> None:
    """Create an API key; the secret is printed once and never stored."""
    from memsvc.domain import MemsvcError
    from memsvc.domain.auth import NewKey

    try:
        key, raw = _keys(db).create(NewKey(tenant, role, name, user, agent))  # type: ignore[arg-type]
    except MemsvcError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from exc
    narrowed = "".join(f", {k} {v}" for k, v in (("user", user), ("agent", agent)) if v)
    console.print(f"key id {key.id} for tenant {key.tenant_id}, role {key.role}{narrowed}")
    print(raw)


@keys_app.command("list")
def keys_list(tenant: Annotated[str | None, typer.Option()] = None, db: DbOption = None) -> None:
    table = Table("id", "tenant", "name", "role", "narrowed to", "prefix", "created", "revoked")
    for key in _keys(db).list(tenant):
        narrowed = " ".join(
            f"{k}={v}" for k, v in (("user", key.user_id), ("agent", key.agent_id)) if v
        )
        table.add_row(
            key.id,
            key.tenant_id,
            key.name or "",
            key.role,
            narrowed,
            key.prefix,
            key.created_at.isoformat(timespec="seconds"),
            key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str, db: DbOption = None) -> None:
    key = _keys(db).revoke(key_id)
    console.print(f"revoked {key.id} (tenant {key.tenant_id})")


def _keys(db: str | None) -> KeyRepository:
    from memsvc.stores.engine import make_engine
    from memsvc.stores.keys import KeyRepository
    from memsvc.stores.migrate import upgrade

    engine = make_engine(_settings(db).resolved_database_url)
    upgrade(engine)
    return KeyRepository(engine)


@app.command()
def add(
    content: Annotated[str, typer.Argument(help="Message text ('-' reads stdin)")],
    role: str = "user",
    user: Annotated[str | None, typer.Option("--user")] = None,
    session: Annotated[str | None, typer.Option("--session")] = None,
    at: Annotated[datetime | None, typer.Option("--at", help="When it was said")] = None,
    db: DbOption = None,
) -> None:
    """Remember one message (embedded mode, on the local database)."""
    from memsvc import Memory

    text = sys.stdin.read() if content == "-" else content
    with Memory(_settings(db)) as memory:
        result = memory.add(
            [{"role": role, "content": text, "occurred_at": at}], user_id=user, session_id=session
        )
    console.print(
        f"stored {result.created} new, {result.duplicates} duplicate; session {result.session_id}"
    )


@app.command()
def search(
    query: str,
    user: Annotated[str | None, typer.Option("--user")] = None,
    k: int = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    db: DbOption = None,
) -> None:
    """Search memories (embedded mode) and show why each hit was found."""
    from memsvc import Memory

    with Memory(_settings(db)) as memory:
        result = memory.search(query, user_id=user, k=k)
    if as_json:
        print(json.dumps(result.model_dump(mode="json"), indent=2))
        return
    table = Table("#", "score", "granularity", "when", "content", "found by")
    for hit in result.hits:
        when = hit.memory.occurred_at.date().isoformat() if hit.memory.occurred_at else ""
        votes = ", ".join(f"{v.retriever}#{v.rank}" for v in hit.retrievers)
        table.add_row(
            str(hit.rank),
            f"{hit.score:.4f}",
            hit.granularity,
            when,
            hit.memory.content[:120],
            votes,
        )
    console.print(f"route: {result.route.name} ({'; '.join(result.route.reasons)})")
    console.print(table)


@app.command("rebuild-index")
def rebuild_index(db: DbOption = None) -> None:
    """Rebuild the vector index files from the vectors stored in SQL."""
    from memsvc.bootstrap import build

    container = build(_settings(db))
    try:
        count = container.index.rebuild()
    finally:
        container.close()
    console.print(f"rebuilt the vector index: {count} vectors")


@app.command()
def reembed(db: DbOption = None) -> None:
    """Re-embed every vector another embedder (model or backend) made, from the texts in SQL.
    An embedded (SQLite) store does this by itself at start; a PostgreSQL store refuses to
    start until it ran, with every server and worker of the store stopped."""
    from memsvc.bootstrap import build

    container = build(_settings(db), reembed=True)
    container.close()
    console.print(f"every vector is now made by {container.embedder.name}")


def _register_evals() -> None:
    try:
        from memsvc.evals.cli import bench_app, eval_app
    except ImportError:
        return
    app.add_typer(eval_app, name="eval")
    app.add_typer(bench_app, name="bench")


_register_evals()


def _register_mcp() -> None:
    from memsvc.integrations.mcp_cli import mcp

    app.command("mcp")(mcp)


_register_mcp()

if __name__ == "__main__":
    app()
