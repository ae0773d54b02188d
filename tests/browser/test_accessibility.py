"""Every distinct page, logged in and out, checked by axe-core (no serious or critical
accessibility violation, WCAG 2.1 A and AA rules) and by the Nu HTML Checker (valid HTML).

Both come from the npm registry (tests/browser/tools/package.json; ``make test`` runs
``npm ci`` there); charter.testing.browser runs them. The events add-on's pages are
checked by its own tests (addons/charter-events/tests/test_browser.py).
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from charter.testing.browser import axe_problems, html_problems
from charter.testing.plugin import TEST_PASSWORD
from charter.trash.models import TrashEntry

pytestmark = pytest.mark.browser


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
