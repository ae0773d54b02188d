"""Review and publication in a real browser: an Editor submits a draft, a Reviewer publishes
it, and on a public site a visitor who is not logged in reads it.

Before it is published the visitor (and a reader) cannot; the badge and the
State menu follow each step, and the history shows both steps. Then an
administrator finds the story's steps, who took each, on Administration →
Audit log: its creation, the submission and the publication.
"""

import pytest
from playwright.sync_api import Page, expect

from charter.security.sharing import SharingService

pytestmark = pytest.mark.browser


@pytest.fixture
def newsroom(site_root, content, draft_content, make_user, dbsession):
    """/news (published) where eddie edits and rae reviews; eddie's draft story in it."""
    eddie = make_user("eddie", "Eddie Editor")
    rae = make_user("rae", "Rae Reviewer")
    news = content.add_folder(site_root, "news", "News")
    SharingService(dbsession).update(
        news, {f"user:{eddie.id}": ["Editor"], f"user:{rae.id}": ["Reviewer"]}
    )
    draft_content.add_document(news, "story", "Big story", "It happened.", by=eddie)
    dbsession.flush()  # the server's requests read through their own savepoint
    return eddie, rae


def log_out(page: Page) -> None:
    page.locator("#user-menu summary").click()
    page.locator("#logout").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def take(page: Page, transition: str, comment: str = "") -> None:
    """Open the State menu and take ``transition`` with ``comment``."""
    page.locator("#state-menu summary").click()
    form = page.locator(f"#transition-{transition}")
    if comment:
        form.get_by_label("Comment").fill(comment)
    form.locator(f"#do-{transition}").click()


def test_an_editor_submits_a_reviewer_publishes_the_public_reads(
    newsroom, page, log_in_as, charter_app, monkeypatch, admin_user
):
    eddie, rae = newsroom
    monkeypatch.setitem(charter_app.registry.settings, "charter.public_site", True)

    # Not yet published: a visitor is asked to log in.
    page.goto("/news/story")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()

    log_in_as(eddie)
    page.goto("/news/story")
    expect(page.locator("#node-state .state-badge")).to_have_text("Private")
    take(page, "submit", "Ready for review.")
    expect(page.locator(".flash-message")).to_contain_text("is now Pending review")
    expect(page.locator("#node-state .state-badge")).to_have_text("Pending review")
    log_out(page)

    log_in_as(rae)
    page.goto("/news")
    expect(page.locator("ul.children .state-badge")).to_have_text(["Pending review"])
    page.get_by_role("link", name="Big story").click()
    take(page, "publish")
    expect(page.locator("#node-state .state-badge")).to_have_text("Published")
    page.locator("#history-tab").click()
    steps = page.locator("#workflow-history tr.workflow-step")
    expect(steps).to_have_count(2)
    expect(steps.first).to_contain_text("rae")
    expect(steps.last).to_contain_text("Ready for review.")
    log_out(page)

    page.goto("/news/story")
    expect(page.get_by_role("heading", name="Big story")).to_be_visible()
    expect(page.locator("#node-state .state-badge")).to_have_text("Published")
    expect(page.locator("#state-menu")).to_have_count(0)

    # Administration → Audit log, narrowed to the story: newest first, who did each step.
    log_in_as(admin_user)
    page.goto("/admin/users")
    page.locator("#admin-nav").get_by_role("link", name="Audit log").click()
    page.locator("#audit-filters summary").click()
    page.get_by_label("Under (path)").fill("/news/story")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tr.audit-row")
    expect(rows.locator(".audit-action")).to_have_text(
        ["Workflow transition", "Workflow transition", "Added"]
    )
    expect(rows.locator(".audit-actor")).to_have_text(["rae", "eddie", "eddie"])
    expect(rows.nth(0).locator(".audit-details")).to_contain_text("publish")
    expect(rows.nth(0).locator(".audit-details")).to_contain_text("published")
    expect(rows.nth(1).locator(".audit-details")).to_contain_text("submit")
    expect(rows.nth(1).locator(".audit-details")).to_contain_text("Ready for review.")
    for row in range(3):
        expect(rows.nth(row).locator(".audit-item")).to_contain_text("/news/story")
