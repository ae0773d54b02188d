"""Security headers on every response, and pages that keep to their own CSP.

HTML pages (content, login, error pages) carry a Content-Security-Policy
without 'unsafe-inline', frame-ancestors 'none', a Referrer-Policy,
X-Content-Type-Options and X-Frame-Options; JSON carries nosniff; HSTS is
sent over https only. Because the CSP forbids inline script and style, no
page may contain an inline <script>, a <style> element, a style="..."
attribute or an on...= event handler: the browser would block them.
"""

from urllib.parse import urlsplit

import pytest

from charter.security.sharing import SharingService
from charter.testing.sessions import login_as

API = "/api/v1/content"
SITE_HOST = "example.com"
STRICT_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin"}
SIX_MONTHS = 182 * 24 * 3600
# Markdown trying every way of sneaking script or inline style into a page.
HOSTILE_BODY = """# Notes

<script>alert(1)</script>
<p style="color: red" onclick="alert(2)">styled</p>
<img src="/x.png" onerror="alert(3)">
<style>body { display: none }</style>
[click](javascript:alert(4))
"""


@pytest.fixture
def pages_site(site_root, content, dbsession):
    """/news (a folder) holding /news/today, a document whose Markdown is hostile."""
    news = content.add_folder(site_root, "news", "News", "What happened.")
    content.add_document(news, "today", "Today", HOSTILE_BODY)
    dbsession.flush()  # requests read through their own savepoint
    return news


def csp_directives(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_html_security_headers(response):
    """The headers every HTML response must carry."""
    assert response.content_type == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ["'none'"]
    for kind in ("script-src", "style-src"):
        assert directives.get(kind, directives["default-src"]) == ["'self'"], kind
    assert directives["object-src"] == ["'none'"]
    assert response.headers["Referrer-Policy"] in STRICT_REFERRER_POLICIES
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def assert_keeps_to_its_csp(response):
    """No inline script, inline style or event handler anywhere in the page."""
    html = response.html
    for script in html.find_all("script"):
        assert script.get("src"), f"inline script: {script}"
        assert not script.get_text(strip=True), f"script with a body: {script}"
        assert urlsplit(script["src"]).netloc in {"", SITE_HOST}
    assert html.find_all("style") == []
    for element in html.find_all(True):
        assert "style" not in element.attrs, f"style attribute on {element.name}"
        handlers = [name for name in element.attrs if name.lower().startswith("on")]
        assert handlers == [], f"event handler on {element.name}: {handlers}"
        for attribute in ("href", "src", "action"):
            value = element.get(attribute, "")
            assert not value.strip().lower().startswith("javascript:"), element
    for sheet in html.select("link[rel~=stylesheet]"):
        assert urlsplit(sheet["href"]).netloc in {"", SITE_HOST}


# (how to get the page, expected status): as the logged-in staff user.
STAFF_PAGES = [
    pytest.param("get", "/", 200, id="home"),
    pytest.param("get", "/news", 200, id="folder"),
    pytest.param("get", "/news/today", 200, id="document"),
    pytest.param("get", "/no-such-page", 404, id="missing-page"),
    pytest.param("get", "/news/@@no-such-view", 404, id="unknown-view"),
    pytest.param("post", "/logout", 400, id="csrf-refusal"),
    pytest.param("get", "/news?limit=0", 400, id="bad-parameter"),
]


@pytest.mark.parametrize(("method", "path", "status"), STAFF_PAGES)
def test_every_html_page_carries_the_security_headers(testapp, pages_site, method, path, status):
    response = getattr(testapp, method)(path, headers={"Accept": "text/html"}, status=status)

    assert_html_security_headers(response)
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(("method", "path", "status"), STAFF_PAGES)
def test_no_page_has_inline_script_or_style(testapp, pages_site, method, path, status):
    response = getattr(testapp, method)(path, headers={"Accept": "text/html"}, status=status)

    assert_keeps_to_its_csp(response)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/login", 200, id="login"),
        pytest.param("/login?came_from=/news", 200, id="login-with-came-from"),
        pytest.param("/static/charter/no-such-file.css", 404, id="missing-static-file"),
    ],
)
def test_anonymous_pages_carry_the_headers_and_keep_to_the_csp(
    anonymous_app, pages_site, path, status
):
    response = anonymous_app.get(path, status=status)

    assert_html_security_headers(response)
    assert_keeps_to_its_csp(response)


def test_a_failed_login_page_carries_the_headers(anonymous_app, pages_site, staff_user):
    form = anonymous_app.get("/login").forms["login-form"]
    form["login"] = "staff"
    form["password"] = "not the password"

    refused = form.submit(status=400)

    assert "Wrong login or password." in refused.text
    assert_html_security_headers(refused)
    assert_keeps_to_its_csp(refused)


def test_a_hidden_node_page_carries_the_headers(anonymous_app, pages_site, make_user, dbsession):
    SharingService(dbsession).update(pages_site, {}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    app = login_as(anonymous_app, make_user("outsider"))

    response = app.get("/news/today", status=404)

    assert_html_security_headers(response)
    assert_keeps_to_its_csp(response)


def test_hostile_markdown_brings_no_script_or_style_into_the_page(testapp, pages_site):
    page = testapp.get("/news/today")

    body = page.html.select_one(".document-body")
    assert "styled" in body.get_text()
    assert body.find_all(["script", "style"]) == []
    assert_keeps_to_its_csp(page)


@pytest.mark.parametrize(
    ("path", "status", "content_type"),
    [
        pytest.param(API + "/news/today", 200, "application/json", id="api-document"),
        pytest.param(API + "/news", 200, "application/json", id="api-folder"),
        pytest.param(API + "/missing", 404, "application/problem+json", id="api-problem"),
        pytest.param("/news/today", 200, "application/json", id="accept-json"),
        pytest.param("/healthz", 200, "application/json", id="healthz"),
    ],
)
def test_json_responses_carry_nosniff(testapp, pages_site, path, status, content_type):
    headers = {"Accept": "application/json"}

    response = testapp.get(path, headers=headers, status=status)

    assert response.content_type == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


def test_an_unauthorized_api_problem_carries_nosniff(anonymous_app, pages_site):
    response = anonymous_app.get(API + "/news", status=401)

    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_files_carry_nosniff(anonymous_app):
    response = anonymous_app.get("/static/charter/charter.css")

    assert response.content_type == "text/css"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def hsts_max_age(response):
    """The max-age of the Strict-Transport-Security header."""
    for part in response.headers["Strict-Transport-Security"].split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "max-age":
            return int(value)
    raise AssertionError("no max-age in Strict-Transport-Security")


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        pytest.param("/news/today", {"Accept": "text/html"}, 200, id="page"),
        pytest.param(API + "/news/today", {}, 200, id="api"),
        pytest.param("/no-such-page", {"Accept": "text/html"}, 404, id="error-page"),
    ],
)
def test_hsts_is_sent_over_https(testapp, pages_site, path, headers, status):
    response = testapp.get(
        path, headers=headers, extra_environ={"wsgi.url_scheme": "https"}, status=status
    )

    assert hsts_max_age(response) >= SIX_MONTHS


def test_hsts_is_sent_to_anonymous_visitors_over_https(anonymous_app, pages_site):
    response = anonymous_app.get("/login", extra_environ={"wsgi.url_scheme": "https"})

    assert hsts_max_age(response) >= SIX_MONTHS
    assert_html_security_headers(response)


def test_hsts_is_not_sent_over_plain_http(anonymous_app, pages_site):
    response = anonymous_app.get("/login")

    assert "Strict-Transport-Security" not in response.headers
