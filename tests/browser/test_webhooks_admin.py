"""Webhooks in a real browser: an administrator registers an endpoint, sees its secret once,
opens its page (an empty delivery log) and turns it off."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def site(site_root, content, dbsession, charter_app, monkeypatch):
    """/docs; endpoints on 127.0.0.1 allowed (charter.webhooks.allow_private)."""
    monkeypatch.setitem(charter_app.registry.settings, "charter.webhooks.allow_private", True)
    content.add_folder(site_root, "docs", "Docs")
    dbsession.flush()  # the server's requests read through their own savepoint


def test_register_an_endpoint_see_its_log_and_turn_it_off(site, admin_user, log_in_as):
    page = log_in_as(admin_user)
    page.goto("/admin/users")
    page.locator("#admin-nav").get_by_role("link", name="Webhooks").click()
    expect(page.locator("#no-webhooks")).to_be_visible()

    page.get_by_label("URL").fill("http://127.0.0.1:9/hook")
    page.get_by_label("Description").fill("Partner sync")
    page.get_by_label("content.created").check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#new-secret code")).to_contain_text("whsec_")
    expect(page.locator("tr.webhook-row")).to_contain_text("Partner sync")

    page.goto("/admin/webhooks")
    expect(page.locator("#new-secret")).to_have_count(0)
    page.locator("tr.webhook-row a").click()
    expect(page.locator("#endpoint-state")).to_have_text("on")
    expect(page.locator("#no-deliveries")).to_be_visible()
    page.get_by_role("button", name="Turn off").click()
    expect(page.locator("#endpoint-state")).to_have_text("off")
    expect(page.locator(".flash-message")).to_contain_text("turned off")
