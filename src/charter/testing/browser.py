"""Browser-test fixtures for Charter and its add-ons: the real app on a local port, Debian's
Chromium, and the accessibility checkers (axe-core, the Nu HTML Checker).

Not loaded by the ``charter`` plugin (it needs Playwright): Charter's tests/browser
re-export it from their conftest, an add-on's root conftest names it in
``pytest_plugins``. The app is served by waitress in a background thread. Every request
it handles joins the test's own database connection (the same mechanism the
``testapp`` fixture uses), so the browser sees the rows the test created and everything
is rolled back when the test ends.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Connection
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from charter.accounts.models import User
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.testing.plugin import TEST_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# Headless Chromium as root in a container: no sandbox, no GPU, and none of
# the background traffic (updates, sync, metrics) a desktop browser sends.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Milliseconds a page action or assertion may wait before the test fails.
PAGE_TIMEOUT_MS = 10_000
SERVER_STOP_TIMEOUT_S = 10

# The checkers come from the npm registry into a Charter checkout's tests/browser/tools
# (``make test`` runs ``npm ci`` there); axe-core is injected into each page by the
# test, never served by Charter.
TOOLS_FOLDER = Path(__file__).resolve().parents[3] / "tests" / "browser" / "tools"
TOOLS = TOOLS_FOLDER / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
SERIOUS = {"serious", "critical"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VNU_TIMEOUT_S = 120

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def joining_connection(app: WSGIApp, connection: Connection) -> WSGIApp:
    """Wrap ``app`` so each request runs on ``connection`` (inside the test's transaction)."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ[TEST_CONNECTION_ENVIRON_KEY] = connection
        return app(environ, start_response)

    return middleware


class BackgroundServer:
    """waitress on a free 127.0.0.1 port, serving from a thread until ``stop``."""

    def __init__(self, app: WSGIApp) -> None:
        # One worker thread: the test's connection must serve one request at a time.
        self.server: BaseWSGIServer = create_server(app, host="127.0.0.1", port=0, threads=1)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name="charter-test-server")

    def start(self) -> None:
        """Start answering requests."""
        self.thread.start()

    def stop(self) -> None:
        """Close every socket, end the loop and wait for the worker thread to finish."""
        # The sockets belong to the loop thread, so the loop closes them itself;
        # an empty socket map then ends its loop.
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(SERVER_STOP_TIMEOUT_S)
        self.server.task_dispatcher.shutdown(timeout=SERVER_STOP_TIMEOUT_S)
        if self.thread.is_alive():
            raise RuntimeError("the test server did not stop")


@pytest.fixture
def live_server(charter_app: WSGIApp, db_connection: Connection) -> Iterator[str]:
    """The base URL of the app served over HTTP; requests see the test's data."""
    server = BackgroundServer(joining_connection(charter_app, db_connection))
    server.start()
    yield server.url
    # Stopped before db_connection's own teardown rolls the transaction back,
    # so no request is still using the connection then.
    server.stop()


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, shared by the tests of one worker."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's browser with "
            "'apt-get update && apt-get install -y chromium' (never 'playwright install')"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser tab whose relative URLs go to the live server."""
    context = chromium_browser.new_context(base_url=live_server)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def log_in_as(page: Page) -> Callable[[User], Page]:
    """Log the tab in through the login form, as a person would: ``log_in_as(user)``."""

    def log_in(user: User) -> Page:
        page.goto("/login")
        page.get_by_label("Login", exact=True).fill(user.login)
        page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#current-user")).to_have_text(user.full_name)
        return page

    return log_in


def require(path: Path) -> Path:
    """``path``, or the test fails saying how to install the checkers."""
    if not path.exists():
        pytest.fail(f"{path} is missing: run 'npm ci' in {TOOLS_FOLDER}")
    return path


def axe_problems(page: Page) -> list[str]:
    """The serious and critical violations axe-core finds on the page as shown."""
    page.evaluate(require(AXE).read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in result["violations"]
        if violation["impact"] in SERIOUS
    ]


def html_problems(pages: dict[str, str], folder: Path) -> list[str]:
    """The Nu HTML Checker's errors on each page's HTML (one run of the checker for all)."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: the Nu HTML Checker runs on it (apt-get install default-jre)")
    files = {}
    for number, (path, html) in enumerate(pages.items()):
        file = folder / f"page-{number}.html"
        file.write_text(html)
        files[f"file:{file.resolve()}"] = path
    # The arguments are the checker's jar and files this function wrote.
    result = subprocess.run(  # noqa: S603
        [
            java,
            "-jar",
            str(require(VNU)),
            "--format",
            "json",
            "--exit-zero-always",
            *[str(folder / f"page-{n}.html") for n in range(len(pages))],
        ],
        capture_output=True,
        text=True,
        timeout=VNU_TIMEOUT_S,
        check=True,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        f"{files.get(message.get('url'), message.get('url'))}: {message['message']}"
        for message in messages
        if message["type"] == "error"
    ]
