"""Choosing the language in a real browser: the footer's language menu turns the UI German,
the choice stays for the next pages, and the same menu (now in German) turns it back."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
GERMAN_MOMENT = re.compile(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d UTC")


@pytest.fixture
def site(site_root, content, make_user, dbsession):
    """/teams with the document /teams/notes; Sam, a member of staff, logs in."""
    teams = content.add_folder(site_root, "teams", "Teams")
    content.add_document(teams, "notes", "Meeting notes", "Some *text* here.")
    sam = make_user("sam", "Sam Staff")
    dbsession.flush()  # the server's requests read through their own savepoint
    return sam


def test_the_language_menu_switches_the_ui_to_german_and_back(site, log_in_as):
    page = log_in_as(site)
    page.goto("/teams/notes")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Change language").click()

    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page).to_have_url(re.compile(r"/teams/notes$"))  # back on the same page
    expect(page.locator(".site-navigation summary")).to_have_text("Ordner")
    expect(page.locator("footer")).to_contain_text("betrieben mit Charter")
    page.locator("#user-menu summary").click()
    expect(page.get_by_role("link", name="Papierkorb")).to_be_visible()
    expect(page.get_by_role("link", name="Mein Konto")).to_be_visible()

    # The choice holds on the next page: its headings, buttons and dates are German.
    page.goto("/teams/@@contents")
    expect(page.get_by_role("heading", name="Inhalt von „Teams“")).to_be_visible()
    expect(page.get_by_role("link", name="Zurück zu „Teams“")).to_be_visible()
    expect(page.locator("td time").first).to_have_text(GERMAN_MOMENT)

    page.get_by_label("Sprache").select_option("en")
    page.get_by_role("button", name="Sprache wechseln").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Contents of “Teams”")).to_be_visible()
