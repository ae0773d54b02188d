"""Every page fits a phone, a tablet and a desktop: no sideways scrolling, the account menu
folds into a <details> element that opens without JavaScript.

With CHARTER_SCREENSHOTS=/some/dir set, each page is also saved there as a PNG at each
width, to look at (never kept in git).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.testing.content import reviewed_types
from charter.testing.plugin import TEST_PASSWORD

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1280)
HEIGHT = 900
SCREENSHOTS = os.environ.get("CHARTER_SCREENSHOTS", "")
TWO_ROW_HEADER_PX = 120
# On a phone the search box has a line of its own: wide enough to read what is typed.
PHONE_SEARCH_BOX_MIN_PX = 250
LONG_TITLE = "Quarterly figures of the regional offices, with their commentaries"
# Finds the three documents of LONG_TITLE: long titles and paths in the hits.
SEARCH = "/@search?q=figures"


@pytest.fixture
def content(charter_app, dbsession):
    """The editing service with the app's events, so the search rows are written as a request
    would write them (in the test's transaction, which the browser's requests join)."""
    return ContentService(
        dbsession,
        types=reviewed_types(types_of(charter_app.registry)),
        notify=charter_app.registry.notify,
    )


@pytest.fixture
def site(site_root, content, dbsession):
    """A folder of items with long titles and names, a document with a wide table."""
    folder = content.add_folder(site_root, "projects", "Projects", "Work in progress.")
    for number in range(1, 4):
        content.add_document(
            folder,
            f"a-rather-long-name-for-an-item-number-{number}",
            f"{LONG_TITLE} {number}",
            "Some text.",
        )
    content.add_document(
        site_root,
        "table",
        "Wide table",
        "| Office | Revenue | Costs | Margin | Head count | Comment |\n"
        "|:--|--:|--:|--:|:-:|---|\n"
        "| Northern region | 1,204,000 | 900,000 | 25 % | 120 | steady growth all year |\n",
    )
    dbsession.flush()
    return site_root


PAGES = (
    "/",
    "/projects",
    "/projects/@@contents",
    "/projects/@@contents?sort=title",
    "/projects/a-rather-long-name-for-an-item-number-1",
    "/projects/a-rather-long-name-for-an-item-number-1/@@edit",
    "/projects/a-rather-long-name-for-an-item-number-1/@@move",
    "/projects/a-rather-long-name-for-an-item-number-1/@@history",
    "/projects/@@add?type=Document",
    "/projects/@@sharing",
    "/projects/@@upload",
    SEARCH,
    "/table",
    "/account",
    "/account/tokens",
    "/admin/users",
    "/admin/groups",
    "/trash",
)


def sideways_overflow(page: Page) -> int:
    """How many pixels wider than the window the page is (0: it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def widest(page: Page) -> str:
    """The innermost elements reaching past the window's right edge, to name in a failure."""
    return page.evaluate(
        """() => {
            const edge = document.documentElement.clientWidth;
            const past = [...document.body.querySelectorAll('*')].filter(
                e => e.getBoundingClientRect().right > edge + 0.5);
            return past.filter(e => !past.some(o => o !== e && e.contains(o)))
                .slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + e.className).join(', ');
        }"""
    )


def assert_no_sideways_scrolling(page: Page, where: str) -> None:
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"{where} scrolls sideways by {overflow}px"


def shoot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(site, admin_user, log_in_as, page, width, db_connection):
    page.set_viewport_size({"width": width, "height": HEIGHT})
    log_in_as(admin_user)

    too_wide = []
    for path in PAGES:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, path
        # MariaDB's FULLTEXT sees only committed rows, and the test's never are.
        if path == SEARCH and db_connection.dialect.name not in {"mysql", "mariadb"}:
            expect(page.locator("#search-count")).to_have_text("3 results")
        overflow = sideways_overflow(page)
        if overflow > 0:
            too_wide.append(f"{path} by {overflow}px ({widest(page)})")
        shoot(page, f"{width}-{path.strip('/').replace('/', '_').replace('@', '') or 'home'}")
    assert not too_wide, f"at {width}px these pages scroll sideways: {too_wide}"


def test_the_account_menu_opens_on_a_phone_without_javascript(
    site, admin_user, chromium_browser, live_server
):
    context = chromium_browser.new_context(
        base_url=live_server, java_script_enabled=False, viewport={"width": 390, "height": 800}
    )
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Login", exact=True).fill(admin_user.login)
        page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        menu = page.locator("#user-menu")
        expect(menu.get_by_role("link", name="My account")).to_be_hidden()
        # Brand and account menu share the first row, the search box has the second.
        header = page.locator("header").bounding_box()
        assert header is not None
        assert header["height"] < TWO_ROW_HEADER_PX
        search_box = page.get_by_role("searchbox", name="Search").bounding_box()
        assert search_box is not None
        assert search_box["width"] >= PHONE_SEARCH_BOX_MIN_PX
        assert_no_sideways_scrolling(page, "the closed menu")

        menu.locator("summary").click()

        expect(menu.get_by_role("link", name="My account")).to_be_visible()
        expect(menu.get_by_role("link", name="Administration")).to_be_visible()
        expect(menu.get_by_role("button", name="Log out")).to_be_visible()
        assert_no_sideways_scrolling(page, "the open menu")
        shoot(page, "390-menu-open")
        menu.get_by_role("link", name="My account").click()
        expect(page.locator("h1")).to_have_text("My account")
    finally:
        context.close()
