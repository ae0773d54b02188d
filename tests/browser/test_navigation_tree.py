"""The navigation tree in a real browser: open along the way to the page shown, following a
folder in it goes there, and its heading folds it away (a <details>, no script needed)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def site(site_root, content, dbsession):
    """/projects/2026/q1 (a document inside), and /archive beside /projects."""
    projects = content.add_folder(site_root, "projects", "Projects")
    year = content.add_folder(projects, "2026", "Year 2026")
    quarter = content.add_folder(year, "q1", "First quarter")
    content.add_document(quarter, "plan", "Plan", "Text.")
    content.add_folder(site_root, "archive", "Archive")
    dbsession.flush()
    return site_root


def test_the_tree_opens_along_the_way_and_leads_elsewhere(site, staff_user, log_in_as):
    page = log_in_as(staff_user)
    page.goto("/projects/2026/q1")
    tree = page.get_by_role("navigation", name="Folders")

    expect(tree.locator("[aria-current=page]")).to_have_text("First quarter")
    for title in ("Projects", "Year 2026", "First quarter", "Archive"):
        expect(tree.get_by_role("link", name=title, exact=True)).to_be_visible()
    # Documents are not folders: they stay out of the tree.
    expect(tree.get_by_role("link", name="Plan")).to_have_count(0)

    tree.get_by_role("link", name="Archive").click()

    expect(page.locator("h1")).to_have_text("Archive")
    tree = page.get_by_role("navigation", name="Folders")
    expect(tree.locator("[aria-current=page]")).to_have_text("Archive")
    # Away from /projects, its sub-folders are closed again.
    expect(tree.get_by_role("link", name="Year 2026")).to_have_count(0)


def test_the_folders_heading_folds_the_tree_away(site, staff_user, log_in_as):
    page = log_in_as(staff_user)
    page.goto("/projects")
    tree = page.get_by_role("navigation", name="Folders")
    heading = tree.locator("summary")

    heading.click()
    expect(tree.get_by_role("link", name="Archive")).to_be_hidden()
    heading.press("Enter")
    expect(tree.get_by_role("link", name="Archive")).to_be_visible()
