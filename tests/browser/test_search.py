"""Search in a real browser: from the header's box, narrow by a facet, open a result."""

import re

import pytest
from playwright.sync_api import expect

from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.security.principals import user_principal
from charter.security.sharing import SharingService

pytestmark = pytest.mark.browser


@pytest.fixture
def site(site_root, charter_app, make_user, dbsession, db_connection):
    """Docs holding two budget documents and a budget folder; Eddie holds Editor on the site.

    Made through the editing service with the app's events, so the search rows are written as a
    request would write them (in the test's transaction, which the browser's requests join).
    """
    if db_connection.dialect.name in {"mysql", "mariadb"}:
        pytest.skip(
            "MariaDB's FULLTEXT sees only committed rows; tests/functional/search covers it"
        )
    content = ContentService(
        dbsession, types=types_of(charter_app.registry), notify=charter_app.registry.notify
    )
    docs = content.create(site_root, "Folder", {"title": "Docs"})
    content.create(docs, "Document", {"title": "Travel budget", "body": "Trains and hotels."})
    content.create(docs, "Document", {"title": "Office budget", "body": "Chairs and desks."})
    content.create(docs, "Folder", {"title": "Budget archive"})
    eddie = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): ["Editor"]})
    dbsession.flush()
    return eddie


def test_search_from_the_header_narrow_by_type_and_open_a_result(site, log_in_as):
    page = log_in_as(site)
    page.locator("#site-search-q").fill("budget")
    page.locator("#site-search").get_by_role("button", name="Search").click()

    expect(page.locator("#search-count")).to_have_text("3 results")
    expect(page.locator(".search-hit-link")).to_have_count(3)

    page.locator('#facet-type a[data-value="Document"]').click()
    expect(page.locator("#search-count")).to_have_text("2 results")
    expect(page.locator("#clear-filters")).to_be_visible()

    page.locator(".search-hit-link", has_text="Travel budget").click()
    expect(page).to_have_url(re.compile(r"/docs/travel-budget$"))
    expect(page.locator("h1")).to_have_text("Travel budget")
