"""Every distinct page, logged in and out, checked by axe-core (no serious or critical
accessibility violation, WCAG 2.1 A and AA rules) and by the Nu HTML Checker (valid HTML).

Both come from the npm registry (tests/browser/tools/package.json; ``make test`` runs
``npm ci`` there). axe-core is injected into each page by the test, never served by Charter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from charter.testing.plugin import TEST_PASSWORD
from charter.trash.models import TrashEntry

pytestmark = pytest.mark.browser

TOOLS = Path(__file__).parent / "tools" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
SERIOUS = {"serious", "critical"}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VNU_TIMEOUT_S = 120


def require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: run 'npm ci' in {Path(__file__).parent / 'tools'}")
    return path


@pytest.fixture
def site(site_root, content, dbsession):
    """/projects with a plan in two versions (its diff), a folder, and a deleted note."""
    folder = content.add_folder(site_root, "projects", "Projects", "Work in progress.")
    plan = content.add_document(
        folder,
        "plan",
        "Plan",
        "# Goals\n\n| Step | Cost |\n|:--|--:|\n| One | 10 |\n\n- a\n- b\n\n[link](/projects)",
    )
    content.add_folder(folder, "archive", "Archive")
    content.update(plan, {"title": "Plan for 2027"}, plan.version, "Year added")
    content.delete(content.add_document(folder, "notes", "Notes", "Old notes."))
    dbsession.flush()
    return site_root


@pytest.fixture
def trash_entry(site, dbsession):
    """The deleted note's entry in the trash."""
    return dbsession.scalars(select(TrashEntry).where(TrashEntry.title == "Notes")).one()


@pytest.fixture
def person(make_user, dbsession):
    """Someone in a group: their page and the group's page with its member picker."""
    person = make_user("lovis", "Lovis Corinth", groups=["lovers-of-maths"])
    dbsession.flush()
    return person


LOGGED_IN_PAGES = (
    "/",
    "/projects",
    "/projects/@@contents",
    "/projects/@@contents?sort=title",
    "/projects/plan",
    "/projects/plan/@@edit",
    "/projects/plan/@@move",
    "/projects/plan/@@copy",
    "/projects/plan/@@rename",
    "/projects/plan/@@delete",
    "/projects/plan/@@history",
    "/projects/plan/@@history/1",
    "/projects/plan/@@diff?from=1&to=2",
    "/projects/@@add",
    "/projects/@@add?type=Document",
    "/projects/@@upload",
    "/projects/@@sharing",
    "/account",
    "/account/tokens",
    "/@search?q=plan",
    "/admin/users",
    "/admin/groups",
    "/admin/groups/lovers-of-maths",
    "/admin/audit",
    "/admin/webhooks",
    "/trash",
    "/projects/no-such-page",
)
LOGGED_OUT_PAGES = ("/login", "/", "/@search?q=plan", "/projects/no-such-page")


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
    if shutil.which("java") is None:
        pytest.fail("java is missing: the Nu HTML Checker runs on it (apt-get install default-jre)")
    files = {}
    for number, (path, html) in enumerate(pages.items()):
        file = folder / f"page-{number}.html"
        file.write_text(html)
        files[f"file:{file.resolve()}"] = path
    result = subprocess.run(
        [
            "java",
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


def test_every_page_passes_axe_and_the_html_checker(
    site, trash_entry, person, admin_user, chromium_browser, live_server, tmp_path
):
    context = chromium_browser.new_context(base_url=live_server, bypass_csp=True)
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    sources: dict[str, str] = {}
    try:
        for path in LOGGED_OUT_PAGES:
            page.goto(path)
            problems[f"{path} (logged out)"] = axe_problems(page)
            sources[f"{path} (logged out)"] = page.content()
        page.goto("/login")
        page.get_by_label("Login", exact=True).fill(admin_user.login)
        page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")
        for path in (*LOGGED_IN_PAGES, f"/admin/users/{person.id}", f"/trash/{trash_entry.id}"):
            response = page.goto(path)
            assert response is not None
            # A mistyped path would check the 404 page again instead of the page meant.
            assert response.status == (404 if "no-such-page" in path else 200), path
            problems[path] = axe_problems(page)
            # The HTML as served (the checker reads markup, not the DOM scripts made).
            sources[path] = response.text()
    finally:
        context.close()

    found = {path: found for path, found in problems.items() if found}
    assert not found, f"axe-core on {len(problems)} pages: {json.dumps(found, indent=1)}"
    invalid = html_problems(sources, tmp_path)
    assert not invalid, f"Nu HTML Checker on {len(sources)} pages: {json.dumps(invalid, indent=1)}"
