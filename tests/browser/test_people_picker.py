"""People pickers in a real browser: on the Sharing page, type part of a name, choose the
person with the keyboard, save; on a group's page, choose a member the same way. The open
picker fits a phone, a tablet and a desktop and passes axe-core (screenshots with
CHARTER_SCREENSHOTS)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from charter.security.principals import user_principal
from tests.browser.test_accessibility import axe_problems

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("CHARTER_SCREENSHOTS", "")
SEARCH_LABEL = "Search by name, login, email or group"


@pytest.fixture
def people(site_root, content, make_user, dbsession):
    """A Projects folder, an administrator, two people whose names share "Lov", a group."""
    content.add_folder(site_root, "projects", "Projects")
    mona = make_user("mona", "Mona Manager", global_roles=["Administrator"])
    ada = make_user("ada", "Ada Lovelace")
    make_user("lovis", "Lovis Corinth", groups=["lovers-of-maths"])
    dbsession.flush()  # the server's requests read through their own savepoint
    return mona, ada


def sideways_overflow(page: Page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_pick_a_person_with_the_keyboard_and_save(people, page, log_in_as):
    mona, ada = people
    log_in_as(mona)
    page.goto("/projects/@@sharing")
    box = page.get_by_role("combobox", name=SEARCH_LABEL)
    expect(box).to_have_attribute("aria-expanded", "false")

    box.press_sequentially("lovel", delay=30)

    listbox = page.locator(".picker-listbox")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(listbox.get_by_role("option")).to_have_text(["ada \u2014 Ada Lovelace"])
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("ArrowDown")  # opens it again
    expect(listbox.get_by_role("option")).to_have_count(1)
    box.press("ArrowDown")
    expect(listbox.get_by_role("option", selected=True)).to_have_text("ada \u2014 Ada Lovelace")
    box.press("Enter")

    principal = user_principal(ada.id)
    row = page.locator(f"tr.grant-row[data-principal='{principal}']")
    expect(row.locator(".unsaved-badge")).to_be_visible()
    expect(row.get_by_label("Reader for Ada Lovelace")).to_be_checked()
    page.locator("#sharing-save").click()
    expect(page.locator(".flash-message")).to_have_text("Sharing saved.")
    expect(row).to_be_visible()
    expect(row.locator(".unsaved-badge")).to_have_count(0)
    expect(row.get_by_label("Reader for Ada Lovelace")).to_be_checked()


def test_pick_a_group_member(people, page, log_in_as):
    mona, _ada = people
    log_in_as(mona)
    page.goto("/admin/groups/lovers-of-maths")
    box = page.get_by_role("combobox", name="Add a member by name or login")
    box.press_sequentially("ada", delay=30)
    expect(page.locator(".picker-listbox").get_by_role("option")).to_have_text(
        ["ada \u2014 Ada Lovelace"]
    )
    box.press("ArrowDown")
    box.press("Enter")
    expect(page.get_by_label("Members", exact=True)).to_have_value("lovis\nada\n")
    expect(box).to_have_value("")
    page.get_by_role("button", name="Save group").click()
    expect(page.locator("#group-members code")).to_have_text(["ada", "lovis"])


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_the_open_picker_fits_the_window(people, page, log_in_as, width):
    mona, _ada = people
    page.set_viewport_size({"width": width, "height": 800})
    log_in_as(mona)
    page.goto("/projects/@@sharing")
    box = page.get_by_role("combobox", name=SEARCH_LABEL)
    box.press_sequentially("lov", delay=30)
    expect(page.locator(".picker-listbox").get_by_role("option")).to_have_text(
        [
            "Lovers-Of-Maths (group lovers-of-maths)",
            "lovis \u2014 Lovis Corinth",
            "ada \u2014 Ada Lovelace",
        ]
    )
    box.press("ArrowDown")
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"people-picker-{width}.png"))
    assert sideways_overflow(page) <= 0
    assert axe_problems(page) == []
