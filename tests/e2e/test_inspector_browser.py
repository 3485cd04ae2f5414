"""The memory inspector in a real headless Chromium (Debian's `chromium`, driven by
Playwright): a person enters a key, searches, opens a hit, follows provenance to a turn, opens
the entity graph and a job and reverts it. Asserts what the page shows, runs axe-core on every
view, and saves screenshots to tests/artifacts/. Also: /docs renders with no network."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from memsvc.api.app import create_app
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from memsvc.bootstrap import Container, build
from memsvc.domain.auth import NewKey
from tests.conftest import make_settings
from tests.e2e.inspector_seed import seed
from tests.servers import app_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("the browser tests need Debian's chromium: apt-get install -y chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, Container]]:
    settings = make_settings(tmp_path, embedder={"model": "hash-384"}, auth={"mode": "keys"})
    box = build(settings)
    _, key = box.keys.create(NewKey("acme", "admin", "inspector"))
    try:
        with app_server(create_app(container=box)) as url:
            yield url, key, box
    finally:
        box.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A page that may only reach the loopback server: anything else is refused and noted."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def only_loopback(route: Route) -> None:
        if re.match(r"^https?://127\.0\.0\.1[:/]", route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, outside
    context.close()
    assert not errors, f"the page raised: {errors}"


def check_accessibility(page: Page, view: str) -> None:
    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"accessibility problems on {view}: {serious}"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"inspector-{name}.png"), full_page=True)


def test_a_person_searches_follows_provenance_and_reverts_a_job(
    server: tuple[str, str, Container], page: tuple[Page, list[str]]
) -> None:
    url, key, _ = server
    p, outside = page
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as api:
        job = seed(api)

    p.goto(url + "/ui")
    expect(p.get_by_role("alert")).to_contain_text("needs an API key")
    p.get_by_role("textbox", name="API key").fill(key)
    p.get_by_role("button", name="Use key").click()
    expect(p.get_by_text("Key set for this tab.")).to_be_visible()

    # Scopes: who has memories, with counts
    expect(p.get_by_role("heading", name="Scopes")).to_be_visible()
    expect(p.get_by_text("2 scopes hold memories")).to_be_visible()
    alice = p.get_by_role("row").filter(has_text="alice")
    expect(alice.get_by_role("cell").nth(4)).to_have_text("6")  # turns
    check_accessibility(p, "scopes")
    shot(p, "scopes")

    # Search: route and reasons, each hit's retrievers with ranks, packed context
    alice.get_by_role("link", name="search user alice").click()
    p.get_by_label("Query").fill("Where does Ana live now?")
    p.get_by_role("button", name="Search").click()
    expect(p.get_by_role("heading", name=re.compile(r"^Route: "))).to_be_visible()
    expect(
        p.get_by_role("list", name="Why this route").get_by_role("listitem").first
    ).to_be_visible()
    hit = p.get_by_role("row").filter(has_text="My sister Ana lives in Porto")
    expect(hit).to_contain_text(re.compile(r"turn\.(lexical|dense) #\d"))
    expect(p.get_by_label("Packed context")).to_contain_text("Ana")
    check_accessibility(p, "search")
    shot(p, "search")

    # A hit, what it led to, and back down the provenance to the turn
    hit.get_by_role("link").click()
    expect(p.get_by_role("heading", name="A turn memory")).to_be_visible()
    led_to = p.get_by_role("region", name=re.compile(r"Led to"))
    led_to.get_by_role("listitem").filter(has_text="fact").first.get_by_role("link").click()
    expect(p.get_by_role("heading", name="A fact memory")).to_be_visible()
    came_from = p.get_by_role("region", name=re.compile(r"Came from \(1\)"))
    expect(came_from).to_contain_text("My sister Ana lives in Porto and works as a nurse")
    check_accessibility(p, "unit")
    shot(p, "unit")
    came_from.get_by_role("link").click()
    expect(p.get_by_role("heading", name="A turn memory")).to_be_visible()
    expect(p.locator("blockquote")).to_have_text(
        "My sister Ana lives in Porto and works as a nurse"
    )

    # The entity graph of the scope
    p.get_by_role("link", name="Scopes").click()
    p.get_by_role("link", name="graph of user alice").click()
    expect(p.get_by_role("heading", name="Entity graph of user alice")).to_be_visible()
    relation = p.get_by_role("row").filter(has_text="has sister")
    expect(relation).to_contain_text("Ana")
    expect(relation).to_contain_text("still valid")
    expect(p.get_by_role("link", name="entity Lisbon")).to_be_visible()
    check_accessibility(p, "graph")
    shot(p, "graph")

    # Jobs: the compress job, what it summarised, and its revert
    p.get_by_role("navigation").get_by_role("link", name="Jobs").click()
    expect(p.get_by_role("row").filter(has_text="compress")).to_contain_text("100%")
    p.get_by_role("link", name="compress").click()
    expect(p.get_by_role("heading", name="Job: compress")).to_be_visible()
    summarised = p.get_by_role("region", name="Summarised (2)")
    expect(summarised.get_by_role("listitem")).to_have_count(2)
    expect(summarised).to_contain_text("session: 2024-01-05: My sister Ana")
    check_accessibility(p, "job")
    shot(p, "job")
    p.get_by_role("button", name="Revert this job").click()
    p.get_by_role("button", name="Yes, revert it").click()
    expect(p.get_by_text("Reverted: 2 restored, 0 removed.")).to_be_visible()
    p.reload()
    expect(p.get_by_text(re.compile(r"succeeded, reverted"))).to_be_visible()
    assert job["counts"]["summarised"] == 2

    # Stats of the scope
    p.goto(url + "/ui#/stats?user_id=alice")
    expect(p.get_by_role("heading", name="Stats of user alice")).to_be_visible()
    expect(p.get_by_role("row").filter(has_text="turn")).to_contain_text("6")
    check_accessibility(p, "stats")
    assert outside == []


def test_unit_list_filters_by_kind_and_pages_with_a_cursor(
    server: tuple[str, str, Container], page: tuple[Page, list[str]]
) -> None:
    url, key, _ = server
    p, _ = page
    turns = [
        {"content": f"note number {i}", "occurred_at": f"2024-05-{i + 1:02d}T08:00:00Z"}
        for i in range(30)
    ]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as api:
        assert (
            api.post("/v1/memories", json={"user_id": "carol", "messages": turns}).status_code
            == 201
        )
    p.goto(url + "/ui")
    p.get_by_role("textbox", name="API key").fill(key)
    p.get_by_role("button", name="Use key").click()
    expect(p.get_by_role("heading", name="Scopes")).to_be_visible()
    p.goto(url + "/ui#/units?user_id=carol&kind=episodic&granularity=turn")
    expect(p.get_by_text("Page 1: 25 units, newest first.")).to_be_visible()
    p.get_by_role("link", name="Next page →").click()
    expect(p.get_by_text("Page 2: 5 units, newest first.")).to_be_visible()
    expect(p.get_by_role("link", name="Next page →")).to_have_count(0)
    p.goto(url + "/ui#/units?user_id=carol&granularity=turn&from=2024-05-10&to=2024-05-12")
    expect(p.get_by_text("Page 1: 2 units, newest first.")).to_be_visible()
    expect(p.get_by_role("row").filter(has_text="note number 10")).to_have_count(1)
    check_accessibility(p, "units")


def test_api_docs_render_with_no_network(
    server: tuple[str, str, Container], page: tuple[Page, list[str]]
) -> None:
    url, _, _ = server
    p, outside = page
    p.goto(url + "/docs")
    expect(p.get_by_text("/v1/memories/search").first).to_be_visible()
    expect(p.get_by_role("heading", name=re.compile("memsvc"))).to_be_visible()
    assert outside == []
