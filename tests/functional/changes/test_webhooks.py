"""Webhook endpoints through the API, the outbox, and signed deliveries to a test receiver."""

import http.server
import threading

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from charter.changes.delivery import Deliverer
from charter.changes.models import WebhookEndpoint, WebhookMessage
from charter.testing.assertions import assert_problem
from tests.functional.changes.conftest import API

HOOKS = "/api/v1/webhooks"


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it is sent and answers ``status``."""

    def __init__(self):
        self.received = []
        self.status = 200
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def allow_private(charter_app, monkeypatch):
    monkeypatch.setitem(charter_app.registry.settings, "charter.webhooks.allow_private", True)
    return charter_app.registry.settings


@pytest.fixture
def deliverer(db_connection, allow_private):
    # The worker's engine is the test's connection: it sees the test's uncommitted rows.
    return Deliverer(db_connection, allow_private)


@pytest.fixture
def document_schema(anonymous_app):
    """The schema the OpenAPI document gives a GET's query parameter."""
    document = anonymous_app.get("/api/v1/openapi.json").json

    def schema(path, name):
        parameters = document["paths"][path]["get"]["parameters"]
        return next(p["schema"] for p in parameters if p["name"] == name)

    return schema


def register(app, headers, url, **fields):
    return app.post_json(HOOKS, {"url": url, **fields}, headers=headers, status=201).json


def test_an_administrator_registers_an_endpoint_and_sees_its_secret_once(
    anonymous_app, as_admin, allow_private, receiver
):
    created = register(
        anonymous_app, as_admin, receiver.url, event_types=["content.created"], subtree="/docs"
    )

    assert created["secret"].startswith("whsec_")
    assert created["active"] is True
    assert created["subtree"] == "/docs"
    shown = anonymous_app.get(created["@id"], headers=as_admin).json
    assert "secret" not in shown
    listed = anonymous_app.get(HOOKS, headers=as_admin).json["items"]
    assert [e["@id"] for e in listed] == [created["@id"]]


def test_others_may_not_manage_webhooks(anonymous_app, as_editor, site):
    anonymous_app.get(HOOKS, headers=as_editor, status=403)
    anonymous_app.post_json(HOOKS, {"url": "https://example.com/"}, headers=as_editor, status=403)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/hook", "http://10.1.2.3/", "http://[::1]/", "http://169.254.169.254/"]
)
def test_private_addresses_are_refused_unless_allowed(anonymous_app, as_admin, url):
    response = anonymous_app.post_json(HOOKS, {"url": url}, headers=as_admin, status=400)
    assert_problem(response, 400)
    assert response.json["errors"][0]["pointer"] == "/url"
    assert "charter.webhooks.allow_private" in response.json["errors"][0]["detail"]


@pytest.mark.parametrize("url", ["ftp://example.com/", "http://user:pw@example.com/", "nope"])
def test_urls_that_are_not_http_to_a_host_are_refused(anonymous_app, as_admin, url):
    response = anonymous_app.post_json(HOOKS, {"url": url}, headers=as_admin, status=400)
    assert response.json["errors"][0]["pointer"] == "/url"


def test_unknown_event_types_and_fields_are_refused(anonymous_app, as_admin, allow_private):
    response = anonymous_app.post_json(
        HOOKS,
        {"url": "http://127.0.0.1/", "event_types": ["content.exploded"], "colour": "red"},
        headers=as_admin,
        status=400,
    )
    assert {e["pointer"] for e in response.json["errors"]} == {"/event_types/0", "/colour"}


def test_a_change_is_delivered_signed_after_commit(
    anonymous_app, as_admin, as_editor, receiver, deliverer, dbsession
):
    hook = register(anonymous_app, as_admin, receiver.url)
    anonymous_app.post_json(
        f"{API}/docs", {"@type": "Document", "name": "memo", "title": "Memo"}, headers=as_editor
    )

    assert deliverer.run_once() == 1

    ((headers, body),) = receiver.received
    payload = Webhook(hook["secret"]).verify(body, headers)
    assert payload["type"] == "content.created"
    assert payload["data"]["path"] == "/docs/memo"
    assert headers["webhook-id"].startswith("msg_")
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 43 + "=").verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(body.replace(b"memo", b"mema"), headers)
    log = anonymous_app.get(hook["messages"], headers=as_admin).json["items"]
    assert [(m["state"], m["attempts"][0]["status"]) for m in log] == [("delivered", 200)]
    assert log[0]["attempts"][0]["response_excerpt"] == "thanks"
    assert log[0]["webhook_id"] == headers["webhook-id"]


def test_a_rolled_back_request_sends_nothing(
    anonymous_app, as_admin, as_editor, receiver, dbsession, allow_private
):
    register(anonymous_app, as_admin, receiver.url)
    anonymous_app.patch_json(
        f"{API}/docs/guide", {"title": "X"}, headers={**as_editor, "If-Match": '"7"'}, status=412
    )
    assert dbsession.scalar(select(func.count()).select_from(WebhookMessage)) == 0


def test_filters_by_event_type_and_subtree(
    anonymous_app, as_admin, as_editor, receiver, dbsession, allow_private
):
    register(
        anonymous_app, as_admin, receiver.url, event_types=["content.created"], subtree="/archive"
    )
    anonymous_app.post_json(f"{API}/docs", {"@type": "Folder", "title": "A"}, headers=as_editor)
    anonymous_app.post_json(f"{API}/archive", {"@type": "Folder", "title": "B"}, headers=as_editor)
    anonymous_app.patch_json(
        f"{API}/archive", {"title": "C"}, headers={**as_editor, "If-Match": '"1"'}
    )
    types = dbsession.scalars(select(WebhookMessage.event_type)).all()
    assert types == ["content.created"]


def test_a_failure_is_retried_later_and_410_disables_the_endpoint(
    anonymous_app, as_admin, as_editor, receiver, deliverer, dbsession
):
    hook = register(anonymous_app, as_admin, receiver.url)
    anonymous_app.post_json(f"{API}/docs", {"@type": "Folder", "title": "A"}, headers=as_editor)

    receiver.status = 500
    deliverer.run_once()
    message = dbsession.scalars(select(WebhookMessage)).one()
    dbsession.refresh(message)
    assert (message.state, message.attempts) == ("pending", 1)
    assert deliverer.run_once() == 0  # not due yet: backoff

    anonymous_app.post(f"{hook['messages']}/{message.id}/@redeliver", headers=as_admin, status=202)
    receiver.status = 410
    deliverer.run_once()

    shown = anonymous_app.get(hook["@id"], headers=as_admin).json
    assert shown["active"] is False
    assert "410" in shown["disabled_reason"]
    log = anonymous_app.get(hook["messages"], headers=as_admin).json["items"]
    assert [a["status"] for a in log[0]["attempts"]] == [500, 410]
    # Turned on again by an administrator.
    again = anonymous_app.patch_json(hook["@id"], {"active": True}, headers=as_admin).json
    assert again["active"] is True
    assert again["disabled_reason"] is None


def test_after_a_rotation_deliveries_carry_both_signatures(
    anonymous_app, as_admin, as_editor, receiver, deliverer
):
    hook = register(anonymous_app, as_admin, receiver.url)
    rotated = anonymous_app.post(f"{hook['@id']}/@rotate-secret", headers=as_admin).json
    anonymous_app.post_json(f"{API}/docs", {"@type": "Folder", "title": "A"}, headers=as_editor)

    deliverer.run_once()

    ((headers, body),) = receiver.received
    assert rotated["secret"] != hook["secret"]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(rotated["secret"]).verify(body, headers)
    Webhook(hook["secret"]).verify(body, headers)


def test_an_endpoint_is_changed_and_deleted(anonymous_app, as_admin, allow_private, dbsession):
    hook = register(anonymous_app, as_admin, "http://127.0.0.1:9/a", subtree="/docs")
    changed = anonymous_app.patch_json(
        hook["@id"], {"description": "Ours", "subtree": None}, headers=as_admin
    ).json
    assert (changed["description"], changed["subtree"]) == ("Ours", None)
    anonymous_app.delete(hook["@id"], headers=as_admin, status=204)
    anonymous_app.get(hook["@id"], headers=as_admin, status=404)
    assert dbsession.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_other_methods_are_405(anonymous_app, as_admin, site):
    response = anonymous_app.put(HOOKS, headers=as_admin, status=405)
    assert response.headers["Allow"] == "GET, HEAD, POST"


def test_the_delivery_log_pages_before_any_id_the_document_allows(
    anonymous_app, as_admin, allow_private, receiver, document_schema
):
    hook = register(anonymous_app, as_admin, receiver.url)
    largest = document_schema("/api/v1/webhooks/{endpoint_id}/messages", "before")["maximum"]

    page = anonymous_app.get(hook["messages"], {"before": largest}, headers=as_admin)
    over = anonymous_app.get(
        hook["messages"], {"before": largest + 1}, headers=as_admin, status=400
    )

    assert page.json["items"] == []
    assert [error["pointer"] for error in over.json["errors"]] == ["/before"]
