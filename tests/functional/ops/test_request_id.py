"""Request ids and trusted proxies through the whole app."""

import re

import pytest

from tests.functional.ops.conftest import PROXY

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_every_response_carries_a_generated_request_id(client_of, proxied_app):
    app = client_of(proxied_app)
    first = app.get("/_probe")
    second = app.get("/_probe")

    assert GENERATED.fullmatch(first.headers["X-Request-ID"])
    assert first.json["request_id"] == first.headers["X-Request-ID"]
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]


def test_error_responses_carry_the_request_id_too(client_of, proxied_app):
    response = client_of(proxied_app).get("/_boom", status=500)

    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_a_trusted_proxy_sets_the_id_the_client_address_and_the_scheme(client_of, proxied_app):
    response = client_of(proxied_app, PROXY).get(
        "/_probe",
        headers={
            "X-Request-ID": "nginx-3f2a9c",
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
        },
    )

    assert response.headers["X-Request-ID"] == "nginx-3f2a9c"
    assert response.json == {
        "remote_addr": "203.0.113.7",
        "scheme": "https",
        "request_id": "nginx-3f2a9c",
        "forwarded_for": "203.0.113.7",
    }


def test_a_trusted_ipv6_proxy_is_trusted(client_of, proxied_app):
    response = client_of(proxied_app, "::1").get(
        "/_probe", headers={"X-Request-ID": "abc", "X-Forwarded-For": "2001:db8::7"}
    )

    assert response.json["request_id"] == "abc"
    assert response.json["remote_addr"] == "2001:db8::7"


def test_an_untrusted_peer_cannot_choose_its_id_address_or_scheme(client_of, proxied_app):
    response = client_of(proxied_app, "192.0.2.10").get(
        "/_probe",
        headers={
            "X-Request-ID": "chosen-by-the-client",
            "X-Forwarded-For": "203.0.113.7",
            "X-Forwarded-Proto": "https",
        },
    )

    assert GENERATED.fullmatch(response.headers["X-Request-ID"])
    assert response.json["remote_addr"] == "192.0.2.10"
    assert response.json["scheme"] == "http"
    assert response.json["forwarded_for"] is None  # removed before any view could read it


def test_by_default_no_proxy_is_trusted(client_of, build_app):
    app = client_of(build_app(), "127.0.0.1")
    response = app.get("/_probe", headers={"X-Request-ID": "abc", "X-Forwarded-For": "1.2.3.4"})

    assert response.json["request_id"] != "abc"
    assert response.json["remote_addr"] == "127.0.0.1"


@pytest.mark.parametrize(
    "sent",
    [
        "x" * 65,
        "has space",
        "-starts-with-a-dash",
        "semi;colon",
        "tab\tinside",
        "é",
        "",
    ],
)
def test_a_malformed_id_from_the_proxy_is_replaced(client_of, proxied_app, sent):
    response = client_of(proxied_app, PROXY).get(
        "/_probe", headers={"X-Request-ID": sent.encode("utf-8").decode("latin-1")}
    )

    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_the_longest_accepted_id_is_kept(client_of, proxied_app):
    sent = "a" * 64
    response = client_of(proxied_app, PROXY).get("/_probe", headers={"X-Request-ID": sent})

    assert response.headers["X-Request-ID"] == sent


def test_forwarded_for_is_read_from_the_right_skipping_trusted_hops(client_of, proxied_app):
    response = client_of(proxied_app, PROXY).get(
        "/_probe", headers={"X-Forwarded-For": f"198.51.100.1, 203.0.113.9, {PROXY}"}
    )

    # 198.51.100.1 was added by the client itself: only the hop nginx saw counts.
    assert response.json["remote_addr"] == "203.0.113.9"


def test_a_malformed_forwarded_for_leaves_the_proxy_as_the_client(client_of, proxied_app):
    response = client_of(proxied_app, PROXY).get(
        "/_probe", headers={"X-Forwarded-For": "not-an-address"}
    )

    assert response.json["remote_addr"] == PROXY


def test_an_unknown_forwarded_proto_is_ignored(client_of, proxied_app):
    response = client_of(proxied_app, PROXY).get("/_probe", headers={"X-Forwarded-Proto": "gopher"})

    assert response.json["scheme"] == "http"


def test_the_longest_id_from_the_proxy_is_recorded_in_the_audit_log(
    client_of, proxied_app, admin_user, site_root, dbsession
):
    from sqlalchemy import select

    from charter.accounts.services import TokenService
    from charter.audit.models import AuditEntry

    _, token = TokenService(dbsession).create(admin_user, "audit", scope="read-write")
    dbsession.flush()
    sent = "r" * 64
    client_of(proxied_app, PROXY).post_json(
        "/api/v1/content/",
        {"@type": "Folder", "title": "Audited"},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": sent},
        status=201,
    )

    ids = dbsession.scalars(select(AuditEntry.request_id).where(AuditEntry.request_id == sent))
    assert list(ids)
