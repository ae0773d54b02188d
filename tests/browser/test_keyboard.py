"""Keyboard use without a mouse: the skip link is the first stop of Tab and jumps past the
header, and Escape closes the Add menu as it closes the account menu
(tests/browser/test_contents_comfort.py has that one and the focus on a form's first
error)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def folder(site_root, content, dbsession):
    """/projects, a folder the administrator may add to."""
    folder = content.add_folder(site_root, "projects", "Projects")
    dbsession.flush()
    return folder


def width(locator: Locator) -> float:
    """How wide the element is drawn (visually hidden ones are a pixel at most)."""
    box = locator.bounding_box()
    assert box is not None
    return box["width"]


def test_the_skip_link_is_the_first_tab_stop_and_skips_the_header(folder, admin_user, log_in_as):
    page = log_in_as(admin_user)
    page.goto("/projects")
    skip = page.get_by_role("link", name="Skip to the content")
    assert width(skip) <= 1, "the skip link shows before it has the focus"

    page.keyboard.press("Tab")

    expect(skip).to_be_focused()
    assert width(skip) > 1, "the focused skip link stays visually hidden"
    page.keyboard.press("Enter")
    page.wait_for_url("**/projects#content")
    page.keyboard.press("Tab")
    # The next stop lies inside <main>: the search box and account menu were skipped.
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


def test_escape_closes_the_add_menu_and_gives_the_focus_back(folder, admin_user, log_in_as):
    page = log_in_as(admin_user)
    page.goto("/projects")
    summary = page.locator("#add-menu summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#upload-link")).to_be_visible()

    page.keyboard.press("Escape")

    expect(page.locator("#upload-link")).to_be_hidden()
    expect(summary).to_be_focused()
