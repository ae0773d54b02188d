"""Errors: friendly HTML pages outside the API, problem+json inside it, no tracebacks."""

import logging

import pytest
import webtest
from pyramid.httpexceptions import HTTPForbidden, HTTPMethodNotAllowed

from charter import make_configurator
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.errors import Conflict, Forbidden
from charter.testing.sessions import login_as

HOME = "http://example.com/"


@pytest.fixture
def make_failing_app(charter_settings, db_connection, staff_user):
    """Build Charter plus test views that fail on purpose, with charter.debug on or off."""
    configs = []

    def raise_unexpected(request):
        raise RuntimeError("boom: the secret internals")

    def raise_forbidden(request):
        raise Forbidden("only editors may see this")

    def raise_http_forbidden(request):
        raise HTTPForbidden()

    def raise_conflict(request):
        raise Conflict("that name is taken")

    def raise_method_not_allowed(request):
        raise HTTPMethodNotAllowed(headers={"Allow": "GET, HEAD"})

    views = {
        "boom": raise_unexpected,
        "forbidden": raise_forbidden,
        "http-forbidden": raise_http_forbidden,
        "conflict": raise_conflict,
        "not-allowed": raise_method_not_allowed,
    }

    def build(debug):
        config = make_configurator(
            {**charter_settings, "charter.debug": "true" if debug else "false"}, environ={}
        )
        for name, view in views.items():
            config.add_route(f"test-{name}", f"/test-{name}")
            config.add_view(view, route_name=f"test-{name}")
            config.add_route(f"test-api-{name}", f"/api/test-{name}")
            config.add_view(view, route_name=f"test-api-{name}")
        configs.append(config)
        app = webtest.TestApp(
            config.make_wsgi_app(),
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        )
        # Logged in: an anonymous refusal is a redirect to the login page instead.
        return login_as(app, staff_user)

    yield build
    for config in configs:
        config.registry["charter.db.engine"].dispose()


def assert_friendly_page(page, status, heading):
    """An HTML error page with ``status``, ``heading``, a way home and no traceback."""
    assert page.status_int == status
    assert page.content_type == "text/html"
    assert page.html.find("h1").get_text(strip=True) == heading
    assert f"Error {status}" in page.text
    assert HOME in [link["href"] for link in page.html.find_all("a")]
    assert "Traceback" not in page.text


def assert_problem(response, status, title):
    """An RFC 9457 problem with ``status`` and ``title`` and no traceback."""
    assert response.status_int == status
    assert response.content_type == "application/problem+json"
    body = response.json
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert body["title"] == title
    assert "Traceback" not in response.text
    return body


def test_missing_page_is_a_friendly_404(testapp, site_root):
    page = testapp.get("/no-such-page", status=404)

    assert_friendly_page(page, 404, "Page not found")
    assert "mistyped" in page.text
    assert page.html.title.get_text() == "Page not found · Charter Test"


def test_missing_deep_page_is_a_friendly_404(testapp, site_root, content, dbsession):
    guides = content.add_folder(site_root, "guides", "Guides")
    content.add_document(guides, "handbook", "Handbook", "Text.")
    dbsession.flush()  # requests read through their own savepoint

    for path in ("/guides/missing", "/guides/handbook/below-a-document", "/a/b/c/d"):
        assert_friendly_page(testapp.get(path, status=404), 404, "Page not found")


def test_unknown_view_name_is_a_friendly_404(testapp, site_root):
    page = testapp.get("/@@no-such-view", status=404)

    assert_friendly_page(page, 404, "Page not found")


def test_uninitialised_site_is_a_friendly_404_saying_what_to_run(testapp):
    page = testapp.get("/", status=404)

    assert_friendly_page(page, 404, "Page not found")
    assert "charter-init" in page.text


def test_unexpected_error_is_a_500_page_without_traceback(make_failing_app, caplog):
    app = make_failing_app(debug=False)

    with caplog.at_level(logging.ERROR, logger="charter"):
        page = app.get("/test-boom", status=500)

    assert_friendly_page(page, 500, "Something went wrong on our side")
    # The page names its own address (the language menu returns there), not the error.
    assert "boom" not in page.text.replace("/test-boom", "")
    assert "RuntimeError" not in page.text
    logged = [record for record in caplog.records if record.exc_info]
    assert len(logged) == 1
    assert logged[0].exc_info[0] is RuntimeError
    assert "/test-boom" in logged[0].getMessage()


def test_unexpected_error_shows_the_traceback_in_debug(make_failing_app):
    app = make_failing_app(debug=True)

    page = app.get("/test-boom", status=500)

    assert page.content_type == "text/html"
    assert page.html.find("h1").get_text(strip=True) == "Something went wrong on our side"
    shown = page.html.find("pre").get_text()
    assert "Traceback (most recent call last)" in shown
    assert "RuntimeError: boom: the secret internals" in shown
    assert "raise_unexpected" in shown


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_error_under_the_api_is_a_500_problem(make_failing_app, debug):
    app = make_failing_app(debug=debug)

    response = app.get("/api/test-boom", status=500)

    body = assert_problem(response, 500, "Internal Server Error")
    assert "boom" not in response.text
    assert "RuntimeError" not in response.text
    assert body["detail"]


def test_unexpected_error_for_a_json_client_is_a_500_problem(make_failing_app):
    app = make_failing_app(debug=False)

    response = app.get("/test-boom", headers={"Accept": "application/json"}, status=500)

    assert_problem(response, 500, "Internal Server Error")


def test_forbidden_from_a_service_is_a_friendly_403(make_failing_app):
    app = make_failing_app(debug=False)

    page = app.get("/test-forbidden", status=403)

    assert_friendly_page(page, 403, "You may not see this")
    assert "only editors may see this" in page.text


def test_pyramid_forbidden_is_a_friendly_403(make_failing_app):
    app = make_failing_app(debug=False)

    page = app.get("/test-http-forbidden", status=403)

    assert_friendly_page(page, 403, "You may not see this")


def test_forbidden_under_the_api_is_a_403_problem(make_failing_app):
    app = make_failing_app(debug=False)

    response = app.get("/api/test-forbidden", status=403)

    body = assert_problem(response, 403, "Forbidden")
    assert body["detail"] == "only editors may see this"


def test_conflict_is_a_409_page_and_a_409_problem(make_failing_app):
    app = make_failing_app(debug=False)

    page = app.get("/test-conflict", status=409)
    problem = app.get("/api/test-conflict", status=409)

    assert_friendly_page(page, 409, "That clashes with something")
    assert "that name is taken" in page.text
    body = assert_problem(problem, 409, "Conflict")
    assert body["type"] == "urn:charter:problem:conflict"
    assert body["detail"] == "that name is taken"


def test_method_not_allowed_is_a_405_page_keeping_allow(make_failing_app):
    app = make_failing_app(debug=False)

    page = app.get("/test-not-allowed", status=405)
    problem = app.get("/api/test-not-allowed", status=405)

    assert_friendly_page(page, 405, "Not allowed here")
    assert page.headers["Allow"] == "GET, HEAD"
    assert_problem(problem, 405, "Method Not Allowed")
    assert problem.headers["Allow"] == "GET, HEAD"


def test_invalid_percent_encoding_is_a_400_page_not_a_500(anonymous_app, site_root):
    # Anonymous: WebTest itself cannot store a cookie for an undecodable URL.
    testapp = anonymous_app
    page = testapp.get("/%ff", status="*")

    assert page.status_int == 400
    assert page.content_type == "text/html"
    assert "not valid UTF-8" in page.text
    assert "Traceback" not in page.text


def test_invalid_percent_encoding_under_the_api_is_a_400_problem(anonymous_app, site_root):
    # Anonymous: WebTest itself cannot store a cookie for an undecodable URL.
    testapp = anonymous_app
    response = testapp.get("/api/v1/content/%ff%fe", status="*")

    body = assert_problem(response, 400, "Bad Request")
    assert "UTF-8" in body["detail"]


def test_invalid_percent_encoding_in_a_deep_path_is_not_a_500(anonymous_app, site_root):
    # Anonymous: WebTest itself cannot store a cookie for an undecodable URL.
    testapp = anonymous_app
    response = testapp.get("/guides/%c3%28/x", status="*")

    assert response.status_int == 400
