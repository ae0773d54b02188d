"""CORS for browser partners and per-token rate limits, on an app configured for them."""

import pytest
import webtest

from charter import make_configurator
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.settings import SettingsError, parse_settings
from charter.testing.assertions import assert_problem

PARTNER = "https://partner.example.com"
LIMIT = 3


@pytest.fixture(scope="module")
def configured_app(charter_settings, charter_engine):
    settings = {
        **charter_settings,
        "charter.cors.allowed_origins": f"{PARTNER} https://other.example.org",
        "charter.api.rate_limit": str(LIMIT),
        "charter.api.rate_limit_window": "60",
    }
    config = make_configurator(settings, environ={})
    yield config.make_wsgi_app()
    config.registry["charter.db.engine"].dispose()


@pytest.fixture
def app(configured_app, db_connection):
    return webtest.TestApp(
        configured_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )


@pytest.fixture
def token(bearer, staff_user, site_root):
    return bearer(staff_user)


def test_a_preflight_from_a_listed_origin_is_answered_before_authentication(app):
    response = app.options(
        "/api/v1/content",
        headers={
            "Origin": PARTNER,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match",
        },
        status=204,
    )
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "PATCH" in response.headers["Access-Control-Allow-Methods"]
    assert "If-Match" in response.headers["Access-Control-Allow-Headers"]
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Origin" in response.headers["Vary"]


def test_a_preflight_from_another_origin_is_refused(app):
    response = app.options(
        "/api/v1/content",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        status=403,
    )
    assert_problem(response, 403)
    assert "Access-Control-Allow-Origin" not in response.headers


def test_responses_to_a_listed_origin_say_so_and_expose_the_api_headers(app, token):
    response = app.get("/api/v1/content", headers={**token, "Origin": PARTNER})
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    other = app.get("/api/v1/content", headers={**token, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_errors_carry_the_cors_headers_too(app, site_root):
    response = app.get("/api/v1/content", headers={"Origin": PARTNER}, status=401)
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER


def test_pages_outside_the_api_get_no_cors_headers(app):
    response = app.get("/login", headers={"Origin": PARTNER})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_token_past_its_limit_gets_429_with_retry_after(app, token):
    answers = [app.get("/api/v1/content", headers=token, status="*") for _ in range(LIMIT + 1)]

    assert [a.status_int for a in answers] == [200] * LIMIT + [429]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[-1]
    assert_problem(refused, 429)
    assert refused.json["type"] == "urn:charter:problem:rate-limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Limit"] == str(LIMIT)
    assert refused.headers["RateLimit-Policy"] == f"{LIMIT};w=60"


def test_each_token_has_its_own_count(app, token, bearer, staff_user):
    other = bearer(staff_user)
    for _ in range(LIMIT):
        app.get("/api/v1/content", headers=token)
    assert app.get("/api/v1/content", headers=other).status_int == 200


def test_requests_without_a_token_are_not_counted(app, site_root):
    for _ in range(LIMIT + 2):
        response = app.get("/api/v1/content", status=401)
        assert "RateLimit-Limit" not in response.headers


def test_credentials_with_any_origin_stop_start_up(charter_settings):
    with pytest.raises(SettingsError, match=r"charter\.cors\.allow_credentials"):
        parse_settings(
            {
                **charter_settings,
                "charter.cors.allowed_origins": "*",
                "charter.cors.allow_credentials": "true",
            },
            environ={},
        )


@pytest.mark.parametrize("value", ["partner.example.com", "https://a.example/path", "ftp://a.b"])
def test_origins_must_be_scheme_host_and_port(charter_settings, value):
    with pytest.raises(SettingsError, match=r"charter\.cors\.allowed_origins"):
        parse_settings({**charter_settings, "charter.cors.allowed_origins": value}, environ={})
