"""`memsvc mcp`: the MCP server over stdio (for an agent that starts it) or streamable HTTP.
The MCP SDK is imported when the command runs, so the CLI works without the `mcp` extra."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from typing import Annotated

import typer

from memsvc.settings import Settings


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


def mcp(
    transport: Annotated[
        Transport, typer.Option(help="stdio, or streamable HTTP")
    ] = Transport.stdio,
    user_id: Annotated[str | None, typer.Option(help="Default user of the tools' scope")] = None,
    agent_id: Annotated[str | None, typer.Option(help="Default agent of the tools' scope")] = None,
    url: Annotated[
        str | None, typer.Option(help="Serve a remote memsvc (stdio only) instead of the local db")
    ] = None,
    api_key: Annotated[str | None, typer.Option(help="API key for --url")] = None,
    host: Annotated[str | None, typer.Option(help="Interface to bind (http)")] = None,
    port: Annotated[int, typer.Option(help="Port (http)")] = 8421,
    db: Annotated[str | None, typer.Option("--db", help="Database URL")] = None,
) -> None:
    """Serve memsvc's memory tools (remember, recall, forget, memory_history, list_memories,
    search_graph) to an MCP client."""
    try:
        import mcp as _sdk  # noqa: F401 - only to say clearly that the extra is missing
    except ImportError:
        typer.echo("the MCP server needs the mcp extra: pip install 'memsvc[mcp]'", err=True)
        raise typer.Exit(2) from None
    settings = Settings()
    overrides = {"user_id": user_id, "agent_id": agent_id}
    settings.mcp = settings.mcp.model_copy(update={k: v for k, v in overrides.items() if v})
    if db:
        settings = settings.model_copy(update={"database_url": db})
    # stdout carries the protocol over stdio: every log line goes to stderr.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if transport is Transport.stdio:
        _stdio(settings, url, api_key)
    elif url:
        typer.echo("--url is for stdio; over HTTP the server serves its own database", err=True)
        raise typer.Exit(2)
    else:
        _http(settings, host or settings.host, port)


def _stdio(settings: Settings, url: str | None, api_key: str | None) -> None:
    from memsvc.client import Memory, MemoryClient
    from memsvc.integrations.mcp_server import run_stdio

    sdk = MemoryClient(url, api_key=api_key) if url else Memory(settings)
    try:
        run_stdio(sdk, settings.mcp)
    finally:
        sdk.close()


def _http(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from memsvc.bootstrap import build
    from memsvc.cli.main import _is_loopback
    from memsvc.integrations.mcp_server import http_app

    container = build(settings)
    if container.service.dev_mode and not _is_loopback(host):
        container.close()
        typer.echo(
            f"refusing to bind {host}: no API keys exist (single-tenant dev mode). Create a "
            "key first (memsvc keys create --tenant T) or bind to 127.0.0.1.",
            err=True,
        )
        raise typer.Exit(2)
    try:
        uvicorn.run(http_app(container), host=host, port=port, log_level="warning")
    finally:
        container.close()
