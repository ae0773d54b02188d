"""Browsing the site in a real browser: logging in, folders, documents, breadcrumbs, errors, paging.

Every test creates its data before the browser sends its first request:
the server handles requests on the test's own database connection, which
the test must not use at the same time.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from charter.testing.plugin import TEST_PASSWORD

pytestmark = pytest.mark.browser

BREADCRUMBS = "nav[aria-label=breadcrumb] li.breadcrumb-item"
CHILD_LINKS = "ul.children li a"

INSTALL_BODY = """\
## Requirements

- Python **3.11**
- A database server

Read the [overview](/guides) first.
"""


@pytest.fixture
def site(site_root, content, dbsession):
    """A root with a folder holding a Markdown document, and a document beside the folder."""
    guides = content.add_folder(site_root, "guides", "Guides", "How to do things.")
    content.add_document(guides, "install", "Install notes", INSTALL_BODY)
    content.add_document(site_root, "about", "About us", "We keep the records.")
    dbsession.flush()  # the server's requests read through their own savepoint
    return site_root


@pytest.fixture
def three_children(site, content, dbsession):
    """The site with a third item in the root folder."""
    content.add_folder(site, "archive", "Archive")
    dbsession.flush()
    return site


def log_in(page: Page, login: str, password: str) -> None:
    """Fill in and send the login form the page shows, as a person would."""
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def staff_page(log_in_as, staff_user):
    """The tab after ``staff_user`` logged in through the login form (back on the home page)."""
    return log_in_as(staff_user)


def path_of(page: Page) -> str:
    """The path and query of the page the browser shows."""
    return re.sub(r"^https?://[^/]+", "", page.url)


def test_home_page_shows_the_site_title_and_the_children(site, staff_page):
    page = staff_page

    page.goto("/")

    expect(page).to_have_title("Charter Test")
    expect(page.locator(".navbar-brand")).to_have_text("Charter Test")
    expect(page.locator(CHILD_LINKS)).to_have_text(["Guides", "About us"])
    expect(page.get_by_text("How to do things.")).to_be_visible()
    # Bootstrap's stylesheet was served and applied: the header bar is dark.
    expect(page.locator("header.navbar")).to_have_css("background-color", "rgb(33, 37, 41)")


def test_visitor_logs_in_and_lands_on_the_page_they_asked_for(site, staff_user, page):
    page.goto("/guides/install")

    expect(page.locator("h1")).to_have_text("Log in")
    assert path_of(page).startswith("/login?")
    log_in(page, "staff", TEST_PASSWORD)

    expect(page.locator("h1")).to_have_text("Install notes")
    assert path_of(page) == "/guides/install"
    expect(page.locator("#current-user")).to_have_text("Sam Staff")


def test_a_wrong_password_keeps_the_visitor_out(site, staff_user, page):
    page.goto("/guides/install")

    log_in(page, "staff", "not the password")

    expect(page.locator("h1")).to_have_text("Log in")
    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#current-user")).to_have_count(0)
    expect(page.get_by_text("Requirements")).to_have_count(0)


def test_clicking_through_to_a_document_shows_its_rendered_markdown(site, staff_page):
    page = staff_page

    page.locator(CHILD_LINKS).get_by_text("Guides").click()
    expect(page.locator("h1")).to_have_text("Guides")
    assert path_of(page) == "/guides"
    page.locator(CHILD_LINKS).get_by_text("Install notes").click()

    assert path_of(page) == "/guides/install"
    body = page.locator(".document-body")
    expect(page.locator("h1")).to_have_text("Install notes")
    expect(body.locator("h3")).to_have_text("Requirements")
    expect(body.locator("ul > li")).to_have_text(["Python 3.11", "A database server"])
    expect(body.locator("li strong")).to_have_text("3.11")
    expect(body.get_by_role("link", name="overview")).to_have_attribute("href", "/guides")
    # The Markdown source itself is not what a reader sees.
    expect(body).not_to_contain_text("## Requirements")


def test_breadcrumbs_lead_back_to_the_folder(site, staff_page):
    page = staff_page

    page.goto("/guides/install")

    crumbs = page.locator(BREADCRUMBS)
    expect(crumbs).to_have_text(["Charter Test", "Guides", "Install notes"])
    expect(crumbs.last).to_have_attribute("aria-current", "page")
    expect(crumbs.last.locator("a")).to_have_count(0)
    crumbs.get_by_role("link", name="Guides").click()

    assert path_of(page) == "/guides"
    expect(page.locator("h1")).to_have_text("Guides")
    expect(page.locator(CHILD_LINKS)).to_have_text(["Install notes"])
    expect(page.locator(BREADCRUMBS)).to_have_text(["Charter Test", "Guides"])


def test_root_crumb_leads_home(site, staff_page):
    page = staff_page

    page.goto("/guides/install")
    page.locator(BREADCRUMBS).get_by_role("link", name="Charter Test").click()

    assert path_of(page) == "/"
    expect(page.locator(CHILD_LINKS)).to_have_text(["Guides", "About us"])


def test_missing_page_shows_the_friendly_404_page_with_a_working_home_link(site, staff_page):
    page = staff_page

    response = page.goto("/guides/no-such-page")

    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.get_by_text("The address may be mistyped")).to_be_visible()
    page.get_by_role("link", name="Go to the home page").click()

    assert path_of(page) == "/"
    expect(page.locator(CHILD_LINKS)).to_have_text(["Guides", "About us"])


def test_next_page_link_leads_to_the_remaining_children(three_children, staff_page):
    page = staff_page

    page.goto("/?limit=2")
    expect(page.locator(CHILD_LINKS)).to_have_text(["Guides", "About us"])
    page.get_by_role("link", name="Next page").click()

    assert path_of(page).startswith("/?")
    expect(page.locator(CHILD_LINKS)).to_have_text(["Archive"])
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)


def test_a_bad_page_size_shows_an_error_page_naming_it(site, staff_page):
    page = staff_page

    response = page.goto("/?limit=0")

    assert response is not None
    assert response.status == 400
    expect(page.locator("h1")).to_have_text("Something in the request was not right")
    expect(page.locator(".alert")).to_contain_text("limit")
    expect(page.locator(CHILD_LINKS)).to_have_count(0)
