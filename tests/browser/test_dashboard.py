"""The home page's dashboard in a real browser: an item just edited comes first under Recent
items; the dashboard fits a phone, a tablet and a desktop (screenshots with CHARTER_SCREENSHOTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from charter.security.principals import user_principal
from charter.security.sharing import SharingService

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("CHARTER_SCREENSHOTS", "")
LONG_TITLE = "Quarterly figures of the regional offices, with their commentaries"


@pytest.fixture
def eddie(site_root, content, draft_content, make_user, dbsession):
    """Eddie (Editor on the site), a folder of documents, one of them his draft."""
    user = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(user.id): ["Editor"]})
    projects = content.add_folder(site_root, "projects", "Projects")
    for number in range(1, 4):
        content.add_document(projects, f"report-{number}", f"{LONG_TITLE} {number}", "Text.")
    draft = draft_content.add_document(projects, "plan", "Plan for next year", "Draft.")
    draft.owner_id = user.id
    dbsession.flush()  # the server's requests read through their own savepoint
    return user


def sideways_overflow(page: Page) -> int:
    """How many pixels wider than the window the page is (0: it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_an_item_just_edited_comes_first_under_recent_items(eddie, log_in_as):
    page = log_in_as(eddie)
    page.goto("/projects/report-2/@@edit")
    page.get_by_label("Title").fill("Figures checked")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Figures checked")

    page.goto("/")

    first = page.locator("#recent-items li").first
    expect(first.get_by_role("link")).to_have_text("Figures checked")
    expect(first).to_contain_text("/projects")
    expect(first).to_contain_text("by Eddie Editor")
    expect(page.locator("#my-drafts a")).to_have_text(["Plan for next year"])
    expect(page.locator("#review-queue-empty")).to_be_visible()
    first.get_by_role("link").click()
    expect(page.locator("h1")).to_have_text("Figures checked")


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_the_dashboard_fits_the_window(eddie, log_in_as, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(eddie)
    page.goto("/")

    expect(page.locator("#dashboard")).to_be_visible()
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"dashboard-{width}.png"), full_page=True)
    assert sideways_overflow(page) <= 0
