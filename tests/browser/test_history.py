"""The history in a real browser: edit a document twice, see what changed, restore the first
version."""

import pytest
from playwright.sync_api import expect

from charter.security.principals import user_principal
from charter.security.sharing import SharingService

pytestmark = pytest.mark.browser

FIRST_BODY = "## Agenda\n\n- Budget\n- Hiring"


@pytest.fixture
def editor_page(site_root, content, make_user, dbsession, log_in_as):
    """The tab of Eddie, Editor on the site, which holds /docs/agenda (version 1)."""
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "agenda", "Agenda", FIRST_BODY)
    eddie = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): ["Editor"]})
    dbsession.flush()  # the server's requests read through their own savepoint
    return log_in_as(eddie)


def edit(page, comment, **fields):
    """Open the edit form of the page shown, change ``fields`` (by name), comment and save."""
    page.locator("#edit-link").click()
    for name, value in fields.items():
        page.locator(f"#edit-{name}").fill(value)
    page.get_by_label("Comment on this change (optional)").fill(comment)
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash-message")).to_contain_text("was saved")


def test_edit_twice_see_what_changed_and_restore_the_first_version(editor_page):
    page = editor_page
    page.goto("/docs/agenda")
    edit(page, "Travel added", body="## Agenda\n\n- Budget\n- Hiring\n- Travel")
    edit(page, "Renamed", title="Agenda for Monday")

    page.locator("#history-tab").click()
    expect(page.locator("h1")).to_have_text("History of “Agenda for Monday”")
    rows = page.locator("tr.revision-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("current")
    expect(rows.nth(1)).to_contain_text("Travel added")
    page.get_by_label("Compare from version 1").check()
    page.get_by_label("Compare to version 3").check()
    page.get_by_role("button", name="Compare the selected versions").click()

    expect(page.locator("h1")).to_have_text("Changes in “Agenda for Monday”")
    title = page.locator('.diff-field[data-field="title"]')
    expect(title.locator(".diff-old")).to_have_text("Agenda")
    expect(title.locator(".diff-new")).to_have_text("Agenda for Monday")
    body = page.locator('.diff-field[data-field="body"]')
    expect(body.locator("tr.diff-added")).to_have_count(1)
    expect(body.locator("tr.diff-added .diff-change")).to_have_text("- Travel")
    expect(body.locator("tr.diff-removed")).to_have_count(0)

    page.get_by_role("link", name="version 1", exact=True).click()
    expect(page.locator("h1")).to_have_text("Version 1 of “Agenda for Monday”")
    page.get_by_label("Comment (optional)").fill("Back to the plan")
    page.get_by_role("button", name="Restore this version").click()

    expect(page.locator(".flash-message")).to_have_text("Version 1 of “Agenda” was restored.")
    expect(page.locator("h1")).to_have_text("Agenda")
    expect(page.locator(".document-body li")).to_have_text(["Budget", "Hiring"])
    page.locator("#history-tab").click()
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Back to the plan")
