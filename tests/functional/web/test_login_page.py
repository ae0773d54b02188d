"""The login page, the redirect to it, and logging out."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from charter.audit.models import AuditEntry
from charter.testing.plugin import TEST_PASSWORD

SITE = "http://example.com"


@pytest.fixture
def ann(make_user, site_root):
    """An account to log in with, on a site whose root every logged-in person may read."""
    return make_user("ann", "Ann Archer")


def login_form(app, came_from=None):
    """The login form, as a visitor (sent there from ``came_from``) gets it."""
    params = {"came_from": came_from} if came_from else {}
    return app.get("/login", params=params).forms["login-form"]


def is_logged_in(app):
    """True when the app's session is a logged-in one."""
    return app.get("/account", status="*").status_int == 200


def actions(dbsession):
    """The audit log's actions, oldest first."""
    return list(dbsession.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_login_page_shows_a_labelled_form(anonymous_app):
    page = anonymous_app.get("/login")

    assert page.status_int == 200
    form = page.forms["login-form"]
    assert set(form.fields) >= {"login", "password", "csrf_token", "came_from"}
    for field in ("login", "password"):
        assert page.html.select_one(f"label[for={field}]") is not None
    assert page.html.select_one("#password")["type"] == "password"


def test_wrong_password_is_refused_and_starts_no_session(anonymous_app, ann, dbsession):
    form = login_form(anonymous_app)
    form["login"] = "ann"
    form["password"] = "not the password"

    page = form.submit(status=400)

    assert page.html.select_one("#login-error").get_text(strip=True) == "Wrong login or password."
    # The login typed is kept; the password is not sent back.
    assert page.forms["login-form"]["login"].value == "ann"
    assert page.forms["login-form"]["password"].value == ""
    assert not is_logged_in(anonymous_app)
    assert "login.failed" in actions(dbsession)


def test_right_password_logs_in_and_returns_where_the_person_was_going(
    anonymous_app, ann, dbsession
):
    form = login_form(anonymous_app, came_from=SITE + "/account/tokens")
    form["login"] = "ann"
    form["password"] = TEST_PASSWORD

    answer = form.submit(status=303)

    assert answer.location == SITE + "/account/tokens"
    page = answer.follow()
    assert page.html.select_one("#current-user").get_text(strip=True) == "Ann Archer"
    assert "login.succeeded" in actions(dbsession)


def test_came_from_another_site_is_ignored(anonymous_app, ann):
    form = login_form(anonymous_app, came_from="https://evil.example.org/phish")
    form["login"] = "ann"
    form["password"] = TEST_PASSWORD

    answer = form.submit(status=303)

    assert answer.location == SITE + "/"
    assert is_logged_in(anonymous_app)


def test_came_from_with_a_scheme_relative_address_is_ignored(anonymous_app, ann):
    form = login_form(anonymous_app, came_from="//evil.example.org/phish")
    form["login"] = "ann"
    form["password"] = TEST_PASSWORD

    assert form.submit(status=303).location == SITE + "/"


def test_anonymous_visit_is_sent_to_the_login_page_and_back(anonymous_app, ann, site_root):
    answer = anonymous_app.get("/", status=302)

    target = urlsplit(answer.location)
    assert target.path == "/login"
    assert parse_qs(target.query) == {"came_from": [SITE + "/"]}

    form = answer.follow().forms["login-form"]
    form["login"] = "ann"
    form["password"] = TEST_PASSWORD
    assert form.submit(status=303).location == SITE + "/"


def test_logout_ends_the_session(testapp, site_root, dbsession):
    page = testapp.get("/")

    answer = testapp.post("/logout", {"csrf_token": csrf_token(page)}, status=303)

    assert answer.location == SITE + "/login"
    assert testapp.get("/", status=302).location.startswith(SITE + "/login?")
    assert not is_logged_in(testapp)
    assert "logout" in actions(dbsession)


def test_logout_without_the_csrf_token_is_refused(testapp, site_root, dbsession):
    testapp.get("/")

    page = testapp.post("/logout", status=400)

    assert "The form has expired" in page.text
    assert is_logged_in(testapp)
    assert "logout" not in actions(dbsession)


def csrf_token(page):
    """The CSRF token of the logout form every logged-in page has."""
    return page.html.select_one("#user-menu input[name=csrf_token]")["value"]
