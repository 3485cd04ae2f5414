"""The memory inspector at `/ui`: one server-rendered page (Jinja2) and a small static script
that draws its views. It is a client of the REST API like any other: the API key a person
enters is kept in the tab's session storage and sent as a Bearer token; it never reads the
stores another way. No build step: the files ship in the package."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from memsvc import __version__

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/ui", response_class=HTMLResponse)
def inspector(request: Request) -> HTMLResponse:
    base = request.scope.get("root_path", "")
    return templates.TemplateResponse(request, "index.html", {"base": base, "version": __version__})


@router.get("/ui/")
def inspector_slash(request: Request) -> RedirectResponse:
    return RedirectResponse(request.scope.get("root_path", "") + "/ui")


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=HERE / "static"), name="ui-static")
