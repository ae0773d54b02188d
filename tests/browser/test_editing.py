"""Editing the site in a real browser: add a folder and a document, fix a refused edit, move
and copy with the destination picker, and two tabs editing the same document.

All the data is created before the browser's first request (the server
answers on the test's own database connection); what changed is then
checked as a person would, by looking at the pages.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from charter.security.principals import user_principal
from charter.security.sharing import SharingService

pytestmark = pytest.mark.browser

BODY = "## Agenda\n\n- Budget\n- Hiring"


@pytest.fixture
def site(site_root, content, make_user, dbsession):
    """Docs (holding a guide) and an empty Target folder; Eddie holds Editor on the site."""
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "User guide", "Read this first.")
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
    """The path and query of the page the browser shows."""
    return re.sub(r"^https?://[^/]+", "", page.url)


def add(page: Page, type_title: str) -> None:
    """Open the Add menu and choose ``type_title``."""
    page.locator("#add-menu summary").click()
    page.locator("#add-menu").get_by_role("link", name=type_title, exact=True).click()


def test_add_a_folder_then_a_document_in_it(editor_page):
    page = editor_page
    page.goto("/docs")

    add(page, "Folder")
    expect(page.locator("h1")).to_have_text("Add a Folder")
    page.get_by_label("Title").fill("Meeting notes")
    page.get_by_role("button", name="Add", exact=True).click()

    expect(page.locator("h1")).to_have_text("Meeting notes")
    assert path_of(page) == "/docs/meeting-notes"
    expect(page.locator(".flash-message")).to_have_text("Folder “Meeting notes” was added.")

    add(page, "Document")
    page.get_by_label("Title").fill("Kick-off")
    page.get_by_label("Body").fill(BODY)
    page.get_by_label("Name in the address (optional)").fill("kickoff")
    page.get_by_role("button", name="Add", exact=True).click()

    expect(page.locator("h1")).to_have_text("Kick-off")
    assert path_of(page) == "/docs/meeting-notes/kickoff"
    # Headings of a body sit one level below the page's own <h1>: "## Agenda" is an <h3>.
    expect(page.locator(".document-body h3")).to_have_text("Agenda")
    expect(page.locator(".document-body li")).to_have_text(["Budget", "Hiring"])
    page.locator("nav[aria-label=breadcrumb]").get_by_role("link", name="Meeting notes").click()
    expect(page.locator("ul.children li a")).to_have_text(["Kick-off"])


def test_edit_with_a_validation_error_then_fix_it(editor_page):
    page = editor_page
    page.goto("/docs/guide")
    page.locator("#edit-link").click()

    page.get_by_label("Title").fill("   ")
    page.get_by_label("Body").fill("A better first paragraph.")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#edit-title-error")).to_have_text("a title is required")
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Body")).to_have_value("A better first paragraph.")
    page.get_by_label("Title").fill("The user guide")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("h1")).to_have_text("The user guide")
    assert path_of(page) == "/docs/guide"
    expect(page.locator(".document-body")).to_have_text("A better first paragraph.")
    expect(page.locator(".node-meta")).to_contain_text("version 2")


def test_move_and_copy_with_the_destination_picker(editor_page):
    page = editor_page
    page.goto("/docs/guide")

    page.locator("#move-link").click()
    expect(page.locator("h1")).to_have_text("Move “User guide”")
    page.locator("#picker-crumbs").get_by_role("link", name="Charter Test").click()
    page.locator(".picker-folders").get_by_role("link", name="Target").click()
    expect(page.get_by_label("Destination folder")).to_have_value("/target")
    page.get_by_role("button", name="Move", exact=True).click()

    expect(page.locator("h1")).to_have_text("User guide")
    assert path_of(page) == "/target/guide"
    expect(page.locator(".flash-message")).to_have_text("“User guide” was moved to “Target”.")
    # The old address follows the document to where it is now.
    page.goto("/docs/guide")
    assert path_of(page) == "/target/guide"

    page.goto("/target/guide")
    page.locator("#copy-link").click()
    page.locator("#picker-crumbs").get_by_role("link", name="Charter Test").click()
    page.locator(".picker-folders").get_by_role("link", name="Docs").click()
    page.get_by_label("New name (optional)").fill("guide-copy")
    page.get_by_role("button", name="Copy", exact=True).click()

    assert path_of(page) == "/docs/guide-copy"
    expect(page.locator(".flash-message")).to_have_text("“User guide” was copied to “Docs”.")
    page.goto("/target")
    expect(page.locator("ul.children li a")).to_have_text(["User guide"])


def test_two_tabs_editing_the_same_document(editor_page):
    first = editor_page
    second = first.context.new_page()
    first.goto("/docs/guide/@@edit")
    second.goto("/docs/guide/@@edit")

    second.get_by_label("Title").fill("Their title")
    second.get_by_role("button", name="Save").click()
    expect(second.locator("h1")).to_have_text("Their title")
    first.get_by_label("Title").fill("My title")
    first.get_by_label("Body").fill("My careful rewrite.")
    first.get_by_role("button", name="Save").click()

    warning = first.locator("#changed-meanwhile")
    expect(warning).to_contain_text("Someone else changed this meanwhile")
    title_row = first.locator("#both-versions tr[data-field=title]")
    expect(title_row.locator(".yours")).to_have_text("My title")
    expect(title_row.locator(".theirs")).to_have_text("Their title")
    expect(first.get_by_label("Title")).to_have_value("My title")
    expect(first.get_by_label("Body")).to_have_value("My careful rewrite.")
    first.get_by_role("button", name="Save mine anyway").click()

    expect(first.locator("h1")).to_have_text("My title")
    expect(first.locator(".document-body")).to_have_text("My careful rewrite.")
    second.reload()
    expect(second.locator("h1")).to_have_text("My title")
