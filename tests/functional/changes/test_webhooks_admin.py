"""The webhook admin pages: register (secret shown once), turn off and on, rotate, log, delete."""

import pytest
from sqlalchemy import select

from charter.changes.models import WebhookEndpoint, WebhookMessage
from tests.functional.changes.conftest import API

PAGE = "/admin/webhooks"


@pytest.fixture
def allow_private(charter_app, monkeypatch):
    monkeypatch.setitem(charter_app.registry.settings, "charter.webhooks.allow_private", True)


def text(page, selector):
    return " ".join(e.get_text(" ", strip=True) for e in page.html.select(selector))


def count(page, selector):
    return len(page.html.select(selector))


def register(admin_app, url="http://127.0.0.1:9/hook", **fields):
    form = admin_app.get(PAGE).forms["create-webhook-form"]
    form["url"] = url
    for name, value in fields.items():
        form[name] = value
    return form.submit(status="*")


def test_an_administrator_registers_an_endpoint_and_sees_its_secret_once(
    admin_app, allow_private, site, dbsession
):
    page = register(admin_app, description="Partner", subtree="/docs")

    assert page.status_int == 200
    endpoint = dbsession.scalars(select(WebhookEndpoint)).one()
    assert endpoint.secret in text(page, "#new-secret code")
    listed = admin_app.get(PAGE)
    assert endpoint.secret not in listed.text
    assert count(listed, ".webhook-row") == 1
    assert "Partner" in text(listed, ".webhook-row")


def test_a_private_address_is_refused_beside_the_url(admin_app, site, dbsession):
    page = register(admin_app, url="http://127.0.0.1/hook")

    assert page.status_int == 400
    assert "charter.webhooks.allow_private" in text(page, "#create-url-error")
    assert dbsession.scalars(select(WebhookEndpoint)).all() == []


def test_others_may_not_see_the_page(testapp, site):
    testapp.get(PAGE, status=403)


def test_turning_off_rotating_and_deleting(admin_app, allow_private, site, dbsession):
    register(admin_app)
    endpoint = dbsession.scalars(select(WebhookEndpoint)).one()
    url = f"{PAGE}/{endpoint.id}"
    old_secret = endpoint.secret

    page = admin_app.get(url)
    page.forms["form-disable"].submit().follow()
    dbsession.refresh(endpoint)
    assert endpoint.active is False

    rotated = admin_app.get(url).forms["form-rotate"].submit()
    dbsession.refresh(endpoint)
    assert endpoint.secret != old_secret
    assert endpoint.secret in text(rotated, "#new-secret")

    admin_app.get(url).forms["form-delete"].submit().follow()
    assert dbsession.scalars(select(WebhookEndpoint)).all() == []


def test_the_log_lists_deliveries_and_a_message_can_be_redelivered(
    admin_app, allow_private, site, dbsession, bearer, admin_user
):
    register(admin_app)
    admin_app.post_json(
        f"{API}/docs", {"@type": "Folder", "title": "A"}, headers=bearer(admin_user)
    )
    endpoint = dbsession.scalars(select(WebhookEndpoint)).one()
    page = admin_app.get(f"{PAGE}/{endpoint.id}")
    assert count(page, ".delivery-row") == 1
    assert "content.created" in text(page, ".delivery-row")

    message = dbsession.scalars(select(WebhookMessage)).one()
    message.state = "failed"
    dbsession.flush()
    page.forms[f"redeliver-{message.id}"].submit().follow()
    dbsession.refresh(message)
    assert message.state == "pending"


def test_an_endpoint_turned_off_by_failures_is_shown_with_why(
    admin_app, allow_private, site, dbsession
):
    register(admin_app)
    endpoint = dbsession.scalars(select(WebhookEndpoint)).one()
    endpoint.active = False
    endpoint.disabled_reason = "the endpoint answered 410 Gone on 2026-11-30 15:00 UTC"
    dbsession.flush()

    page = admin_app.get(PAGE)

    assert "410 Gone" in text(page, ".disabled-endpoint")
