"""The audit log in a real browser: an administrator edits a page, then finds the change, who
made it and from where on Administration → Audit log, filters it and pages on; a Manager
sees only their folder's entries."""

import pytest
from playwright.sync_api import expect

from charter.security.principals import user_principal
from charter.security.sharing import SharingService

pytestmark = pytest.mark.browser


@pytest.fixture
def site(site_root, content, make_user, dbsession):
    """/docs/guide, /other/memo; Mona manages /docs."""
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "How to.")
    other = content.add_folder(site_root, "other", "Other")
    content.add_document(other, "memo", "Memo", "Elsewhere.")
    mona = make_user("mona", "Mona Manager")
    SharingService(dbsession).update(docs, {user_principal(mona.id): ["Manager"]})
    dbsession.flush()  # the server's requests read through their own savepoint
    return mona


def test_an_edit_shows_on_the_audit_page_with_who_and_what(site, admin_user, log_in_as):
    page = log_in_as(admin_user)
    page.goto("/docs/guide")
    page.locator("#edit-link").click()
    page.get_by_label("Title").fill("The user guide")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_contain_text("The user guide")

    page.goto("/admin/users")
    page.locator("#admin-nav").get_by_role("link", name="Audit log").click()

    newest = page.locator("tr.audit-row").first
    expect(newest.locator(".audit-action")).to_have_text("Edited")
    expect(newest.locator(".audit-actor")).to_contain_text("admin")
    expect(newest.locator(".audit-item")).to_contain_text("/docs/guide")
    expect(newest.locator(".audit-details")).to_contain_text("title")

    page.locator("#audit-filters summary").click()
    page.get_by_label("Action").select_option("content.added")
    page.get_by_label("Under (path)").fill("/other")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tr.audit-row")
    expect(rows).to_have_count(2)
    expect(rows.first.locator(".audit-item")).to_contain_text("/other/memo")
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    assert "/other/memo" in download.value.path().read_text()


def test_a_manager_reads_only_their_folder(site, log_in_as):
    page = log_in_as(site)
    page.goto("/admin/audit")

    items = page.locator("tr.audit-row .audit-item")
    expect(items.first).to_be_visible()
    for text in items.all_inner_texts():
        assert "/docs" in text
    expect(page.locator("#audit-table")).not_to_contain_text("/other")
    expect(page.locator("#admin-nav")).to_have_count(0)
