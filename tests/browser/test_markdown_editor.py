"""The Markdown editor of the edit form in a real browser: the toolbar makes text bold, the
preview shows what the server renders, a draft left unsaved is offered back after a
reload, and the form fits a phone and a desktop (screenshots with CHARTER_SCREENSHOTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.plugin import TEST_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("CHARTER_SCREENSHOTS", "")
BODY = "## Agenda\n\nBudget and hiring.\n\n| Item | Cost |\n|:--|--:|\n| Desks | 1200 |"


@pytest.fixture
def eddie(site_root, content, make_user, dbsession):
    """Eddie (Editor on the site) and the document /docs/guide."""
    user = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(user.id): ["Editor"]})
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "User guide", BODY)
    dbsession.flush()  # the server's requests read through their own savepoint
    return user


def sideways_overflow(page: Page) -> int:
    """How many pixels wider than the window the page is (0: it fits)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_bold_from_the_toolbar_is_previewed_then_saved(eddie, log_in_as):
    page = log_in_as(eddie)
    page.goto("/docs/guide/@@edit")
    preview = page.locator("#edit-body-preview")
    expect(preview.locator("h3")).to_have_text("Agenda")  # the server's heading levels
    body = page.locator("#edit-body")
    body.fill("Read this first.")

    # Select "this" and press Bold.
    body.evaluate("area => area.setSelectionRange(5, 9)")
    page.get_by_role("button", name="Bold", exact=True).click()

    expect(body).to_have_value("Read **this** first.")
    expect(preview.locator("strong")).to_have_text("this")
    page.keyboard.press("End")
    page.keyboard.type(" Then ")
    page.keyboard.press("Control+i")
    page.keyboard.type("relax")
    expect(body).to_have_value("Read **this** first. Then _relax_")
    expect(preview.locator("em")).to_have_text("relax")

    page.get_by_role("button", name="Save").click()

    expect(page.locator("h1")).to_have_text("User guide")
    expect(page.locator(".document-body strong")).to_have_text("this")
    # Saved: going back to the form offers no draft.
    page.goto("/docs/guide/@@edit")
    expect(page.locator("#edit-body")).to_have_value("Read **this** first. Then _relax_")
    expect(page.locator(".md-draft-offer")).to_be_hidden()


def test_a_draft_left_unsaved_is_offered_back(eddie, log_in_as):
    page = log_in_as(eddie)
    page.goto("/docs/guide/@@edit")
    page.locator("#edit-body").fill("A better first sentence.")
    page.get_by_label("Title").fill("Guide for everyone")
    # Kept once typing pauses.
    page.wait_for_function(
        "() => Object.keys(localStorage).some(key => key.startsWith('charter-draft:')"
        " && localStorage.getItem(key).includes('Guide for everyone'))"
    )

    page.reload()

    offer = page.locator(".md-draft-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("unsaved draft")
    expect(page.locator("#edit-body")).to_have_value(BODY)
    offer.get_by_role("button", name="Restore your unsaved draft").click()
    expect(page.locator("#edit-body")).to_have_value("A better first sentence.")
    expect(page.get_by_label("Title")).to_have_value("Guide for everyone")
    expect(page.locator("#edit-body-preview")).to_contain_text("A better first sentence.")
    expect(offer).to_be_hidden()

    # Discarded: not offered again.
    page.reload()
    expect(offer).to_be_visible()
    offer.get_by_role("button", name="Discard").click()
    page.reload()
    expect(page.locator("#edit-body")).to_have_value(BODY)
    expect(offer).to_be_hidden()


def test_without_javascript_the_textarea_is_all_there_is(eddie, chromium_browser, live_server):
    context = chromium_browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Login", exact=True).fill("eddie")
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/docs/guide/@@edit")

    expect(page.locator(".md-toolbar")).to_be_hidden()
    expect(page.locator(".md-preview-pane")).to_be_hidden()
    page.locator("#edit-body").fill("Plain **text**.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".document-body strong")).to_have_text("text")
    context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_editor_fits_the_window(eddie, log_in_as, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(eddie)
    page.goto("/docs/guide/@@edit")

    expect(page.locator(".md-toolbar")).to_be_visible()
    expect(page.locator("#edit-body-preview table")).to_be_visible()
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"editor-{width}.png"), full_page=True)
    assert sideways_overflow(page) <= 0
