"""Comfort on the contents page and in menus: drag and drop reorder, ▲/▼, select all, Escape
closes a menu, focus on the first field in error (the order, add and edit forms)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.plugin import TEST_PASSWORD
from charter.tree.models import Node

pytestmark = pytest.mark.browser

ROWS = "#contents-table .content-row"


@pytest.fixture
def folder(site_root, content, dbsession, staff_user):
    """/list with One, Two, Three; the staff user edits it."""
    folder = content.add_folder(site_root, "list", "List")
    for name in ("one", "two", "three"):
        content.add_document(folder, name, name.title(), "")
    SharingService(dbsession).update(folder, {user_principal(staff_user.id): ["Editor"]})
    dbsession.flush()
    return folder


def shown(page: Page) -> list[str]:
    return page.locator(f"{ROWS} .content-title").all_inner_texts()


def test_dragging_a_row_saves_the_new_order(folder, staff_user, log_in_as):
    page = log_in_as(staff_user)
    page.goto("/list/@@contents")
    expect(page.locator(f"{ROWS} .drag-handle")).to_have_count(3)

    page.locator(ROWS).nth(2).drag_to(page.locator(ROWS).nth(0))

    expect(page.locator(".flash-message")).to_have_text("The new order was saved.")
    assert shown(page) == ["Three", "One", "Two"]


def test_move_down_and_up_buttons(folder, staff_user, log_in_as):
    page = log_in_as(staff_user)
    page.goto("/list/@@contents")

    page.get_by_role("button", name="Move “One” down").click()
    expect(page.locator(".flash-message")).to_have_text("The new order was saved.")
    assert shown(page) == ["Two", "One", "Three"]
    page.get_by_role("button", name="Move “Three” up").click()
    expect(page.locator(".flash-message")).to_have_text("The new order was saved.")
    assert shown(page) == ["Two", "Three", "One"]


def test_select_all_ticks_every_item_and_unticks_them(folder, staff_user, log_in_as):
    page = log_in_as(staff_user)
    page.goto("/list/@@contents")
    select_all = page.get_by_label("Select all")

    select_all.check()
    for box in page.locator(".select-item").all():
        expect(box).to_be_checked()
    page.locator(".select-item").first.uncheck()
    assert select_all.evaluate("box => box.indeterminate")
    select_all.click()
    for box in page.locator(".select-item").all():
        expect(box).to_be_checked()
    select_all.click()
    for box in page.locator(".select-item").all():
        expect(box).not_to_be_checked()


def test_escape_closes_the_account_menu_and_gives_the_focus_back(folder, staff_user, log_in_as):
    page = log_in_as(staff_user)
    summary = page.locator("#user-menu summary")
    summary.click()
    expect(page.locator("#account-link")).to_be_visible()

    page.keyboard.press("Escape")

    expect(page.locator("#account-link")).to_be_hidden()
    expect(summary).to_be_focused()


def test_a_refused_form_puts_the_focus_on_its_first_error(folder, staff_user, log_in_as):
    page = log_in_as(staff_user)
    page.goto("/list/@@contents")
    page.get_by_label("Position of Two").fill("second")

    page.get_by_role("button", name="Save order").click()

    expect(page.get_by_label("Position of Two")).to_be_focused()
    expect(page.locator("#position-2-error")).to_be_visible()


def test_a_refused_add_form_puts_the_focus_on_its_empty_title(folder, staff_user, log_in_as):
    page = log_in_as(staff_user)
    page.goto("/list/@@add?type=Document")
    page.get_by_label("Body").fill("Text kept while the title is missing.")

    page.get_by_role("button", name="Add", exact=True).click()

    expect(page.locator("#add-title")).to_be_focused()
    expect(page.locator("#add-title-error")).to_be_visible()
    expect(page.get_by_label("Body")).to_have_value("Text kept while the title is missing.")


def test_a_refused_edit_form_puts_the_focus_on_its_emptied_title(folder, staff_user, log_in_as):
    page = log_in_as(staff_user)
    page.goto("/list/one/@@edit")
    page.locator("#edit-title").fill("")

    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator("#edit-title")).to_be_focused()
    expect(page.locator("#edit-title-error")).to_be_visible()


def test_without_javascript_the_numbers_still_reorder(
    folder, staff_user, chromium_browser, live_server, dbsession
):
    context = chromium_browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Login", exact=True).fill(staff_user.login)
        page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto("/list/@@contents")
        expect(page.locator(".drag-handle")).to_have_count(0)
        page.get_by_label("Position of One").fill("9")
        page.get_by_role("button", name="Save order").click()
        expect(page.locator(".flash-message")).to_have_text("The new order was saved.")
        assert shown(page) == ["Two", "Three", "One"]
    finally:
        context.close()
    names = dbsession.scalars(
        select(Node.name).where(Node.parent_id == folder.id).order_by(Node.position)
    ).all()
    assert names == ["two", "three", "one"]
