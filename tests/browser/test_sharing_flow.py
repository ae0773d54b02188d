"""Sharing a folder with a group in a real browser, then seeing it as a member and not as others.

The manager makes the folder private (no inherited roles) and grants the
group Reader on the sharing page; a member then finds the folder, and
someone outside the group neither sees it listed nor can open it (404, so
its name does not leak).
"""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

CHILD_LINKS = "ul.children li a"


@pytest.fixture
def people(site_root, content, make_user, dbsession):
    """A site with a Projects folder, an administrator, a member of 'engineering', an outsider."""
    content.add_folder(site_root, "projects", "Projects", "Work in progress.")
    content.add_document(site_root, "welcome", "Welcome", "Hello.")
    manager = make_user("mona", "Mona Manager", global_roles=["Administrator"])
    member = make_user("mel", "Mel Member", groups=["engineering"])
    outsider = make_user("otto", "Otto Outsider")
    dbsession.flush()  # the server's requests read through their own savepoint
    return manager, member, outsider


def log_out(page: Page) -> None:
    """Open the header's account menu and press its log-out button."""
    page.locator("#user-menu summary").click()
    page.locator("#logout").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_share_a_private_folder_with_a_group(people, page, log_in_as):
    manager, member, outsider = people

    # The manager makes Projects private to the engineering group.
    log_in_as(manager)
    page.goto("/projects")
    page.locator("#sharing-link").click()
    expect(page.get_by_role("heading", name="Sharing", exact=True)).to_be_visible()
    page.get_by_label("Search by name, login, email or group").fill("engineering")
    page.locator("#sharing-search").get_by_role("button", name="Search").click()
    page.locator("#search-results").get_by_role("button", name="Add").click()
    row = page.locator("tr.grant-row[data-principal='group:engineering']")
    expect(row).to_be_visible()
    expect(row.get_by_label("Reader for Engineering")).to_be_checked()
    page.get_by_label("Inherit roles from above").uncheck()
    page.locator("#sharing-save").click()
    expect(page.locator(".flash-message")).to_be_visible()
    expect(page.locator("#inheritance-blocked")).to_be_visible()
    log_out(page)

    # A member of the group sees the folder listed and can open it.
    log_in_as(member)
    page.goto("/")
    expect(page.locator(CHILD_LINKS)).to_have_text(["Projects", "Welcome"])
    page.locator(CHILD_LINKS).get_by_text("Projects").click()
    expect(page.get_by_role("heading", name="Projects", level=1)).to_be_visible()
    # Readers may not share.
    expect(page.locator("#sharing-link")).to_have_count(0)
    log_out(page)

    # Someone outside the group does not see it, and opening it is a 404.
    log_in_as(outsider)
    page.goto("/")
    expect(page.locator(CHILD_LINKS)).to_have_text(["Welcome"])
    response = page.goto("/projects")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_text("Projects")).to_have_count(0)
