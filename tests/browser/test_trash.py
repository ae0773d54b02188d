"""The trash in a real browser: delete a folder, find it on the trash page, restore it; and
restore into another folder when the original one is gone."""

import re

import pytest
from playwright.sync_api import Page, expect

from charter.security.principals import user_principal
from charter.security.sharing import SharingService

pytestmark = pytest.mark.browser


@pytest.fixture
def site(site_root, content, make_user, dbsession):
    """Docs (holding Team, holding People) and Target; Eddie holds Editor on the site."""
    docs = content.add_folder(site_root, "docs", "Docs")
    team = content.add_folder(docs, "team", "Team")
    content.add_document(team, "people", "People", "Who is who.")
    content.add_folder(site_root, "target", "Target")
    eddie = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): ["Editor"]})
    dbsession.flush()  # the server's requests read through their own savepoint
    return eddie


@pytest.fixture
def editor_page(site, log_in_as):
    """The tab after Eddie logged in through the login form."""
    return log_in_as(site)


def path_of(page: Page) -> str:
    """The path of the page the browser shows."""
    return re.sub(r"^https?://[^/]+", "", page.url)


def delete(page: Page, path: str) -> None:
    """Delete the item at ``path`` through its Delete button and confirmation."""
    page.goto(path)
    page.locator("#delete-link").click()
    expect(page.locator("#delete-total")).to_contain_text("moved to the trash")
    page.get_by_role("button", name="Move to the trash").click()


def test_delete_then_restore_from_the_trash_page(editor_page):
    page = editor_page
    delete(page, "/docs/team")
    expect(page.locator(".flash-message")).to_have_text(
        "“Team” was moved to the trash with the item inside it."
    )
    expect(page.locator("body")).not_to_contain_text("People")

    page.locator("#user-menu summary").click()
    page.locator("#trash-link").click()
    row = page.locator(".trash-row").filter(has_text="Team")
    expect(row).to_contain_text("/docs/team")
    expect(row).to_contain_text("eddie")
    row.get_by_role("link", name="Restore…").click()
    expect(page.get_by_label("Folder (path)")).to_have_value("/docs")
    page.get_by_role("button", name="Restore", exact=True).click()

    assert path_of(page) == "/docs/team"
    expect(page.locator(".flash-message")).to_have_text("“Team” was restored to /docs/team.")
    page.get_by_role("link", name="People").click()
    expect(page.locator("h1")).to_have_text("People")
    page.goto("/trash")
    expect(page.locator("#trash-empty")).to_have_text("The trash is empty.")


def test_restore_into_another_folder_when_the_original_is_gone(editor_page):
    page = editor_page
    delete(page, "/docs/team/people")
    delete(page, "/docs/team")

    page.goto("/trash")
    page.locator(".trash-row").filter(has_text="People").get_by_role(
        "link", name="Restore…"
    ).click()
    expect(page.locator("#original-gone")).to_be_visible()
    page.get_by_label("Folder (path)").fill("/target")
    page.get_by_role("button", name="Restore", exact=True).click()

    assert path_of(page) == "/target/people"
    expect(page.locator("h1")).to_have_text("People")
