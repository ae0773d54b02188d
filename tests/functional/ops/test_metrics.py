"""``/metrics`` through the whole app (one process; tests/deploy runs gunicorn with two)."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from charter.accounts.services import TokenService
from tests.functional.ops.conftest import PROXY

TOKEN = "a-metrics-token-for-the-tests-0123456789"


@pytest.fixture(scope="module")
def metrics_app(build_app):
    return build_app(
        **{
            "charter.metrics.enabled": "true",
            "charter.metrics.allow": "127.0.0.1 ::1",
            "charter.metrics.token": TOKEN,
            "charter.proxy.trusted": PROXY,
        }
    )


def samples(text):
    """{(name, frozenset(labels)): value} of a scrape."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scrape, name, **labels):
    return scrape.get((name, frozenset(labels.items())), 0.0)


def test_metrics_are_off_unless_enabled(client_of, build_app):
    client_of(build_app(), "127.0.0.1").get("/metrics", status=404)


def test_an_allowed_address_reads_the_metrics(client_of, metrics_app):
    response = client_of(metrics_app, "127.0.0.1").get("/metrics")

    assert response.content_type == "text/plain"
    assert "version=" in response.headers["Content-Type"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "charter_http_requests_total" in response.text


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}],
)
def test_other_addresses_need_the_token(client_of, metrics_app, headers):
    response = client_of(metrics_app, "192.0.2.1").get("/metrics", headers=headers, status=403)

    assert "charter_" not in response.text


def test_the_token_opens_the_metrics_to_any_address(client_of, metrics_app):
    client_of(metrics_app, "192.0.2.1").get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, status=200
    )


def test_a_proxy_on_an_allowed_address_does_not_open_the_metrics(client_of, build_app):
    app = build_app(
        **{
            "charter.metrics.enabled": "true",
            "charter.metrics.allow": "127.0.0.1",
            "charter.proxy.trusted": "127.0.0.1",
        }
    )
    # nginx on 127.0.0.1 forwarding a request from the internet: the client is 203.0.113.5.
    client_of(app, "127.0.0.1").get(
        "/metrics", headers={"X-Forwarded-For": "203.0.113.5"}, status=403
    )


def test_requests_are_counted_by_route_and_status(client_of, metrics_app):
    app = client_of(metrics_app, "127.0.0.1")
    before = samples(app.get("/metrics").text)
    app.get("/_probe")
    app.get("/_probe")
    app.get("/_boom", status=500)
    after = samples(app.get("/metrics").text)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    total = "charter_http_requests_total"
    assert delta(total, method="GET", route="ops_probe", status="200") == 2
    assert delta(total, method="GET", route="ops_boom", status="500") == 1
    count = "charter_http_request_duration_seconds_count"
    assert delta(count, route="ops_probe", status="200") == 2
    assert (
        delta(
            "charter_http_request_duration_seconds_bucket",
            route="ops_probe",
            status="200",
            le="+Inf",
        )
        == 2
    )
    # The scrape itself is in flight while it is taken.
    assert value(after, "charter_http_requests_in_flight") == 1
    assert ("charter_db_pool_checked_out", frozenset()) in after
    assert ("charter_db_retries_total", frozenset()) in after


def test_blob_bytes_in_and_out(client_of, metrics_app, admin_user, site_root, dbsession):
    _, token = TokenService(dbsession).create(admin_user, "metrics", scope="read-write")
    dbsession.flush()
    app = client_of(metrics_app, "127.0.0.1")
    auth = {"Authorization": f"Bearer {token}"}
    before = samples(app.get("/metrics").text)
    created = app.post(
        "/api/v1/content/",
        params=b"0123456789" * 100,
        headers={"Content-Type": "application/octet-stream", "Slug": "bytes.bin", **auth},
    )
    after_upload = samples(app.get("/metrics").text)
    download = created.json["@id"].replace("http://example.com", "") + "/@download"
    assert app.get(download, headers=auth).body == b"0123456789" * 100
    app.get(download, headers={"Range": "bytes=0-99", **auth}, status=206)
    after = samples(app.get("/metrics").text)

    name = "charter_blob_bytes_total"
    assert value(after_upload, name, direction="in") - value(before, name, direction="in") == 1000
    assert value(after, name, direction="out") - value(before, name, direction="out") == 1100
