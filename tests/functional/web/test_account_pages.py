"""My account: details, changing the password, and API tokens."""

import datetime as dt

import pytest
import webtest
from sqlalchemy import func, select

from charter.accounts.models import ApiToken
from charter.accounts.passwords import verify_password
from charter.accounts.services import TokenService
from charter.accounts.tokens import token_digest
from charter.audit.models import AuditEntry
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.testing.plugin import TEST_PASSWORD
from charter.testing.sessions import login_as

SITE = "http://example.com"
NEW_PASSWORD = "a brand new passphrase"


def new_client(charter_app, db_connection):
    """Another client, with no cookies, in the test's transaction."""
    return webtest.TestApp(
        charter_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )


def error_beside(page, field_id):
    """The error text shown under the input with ``field_id``, or None."""
    element = page.html.select_one(f"#{field_id}-error")
    return element.get_text(strip=True) if element else None


def flash_messages(page):
    return [m.get_text(strip=True) for m in page.html.select(".flash-message")]


def audit_actions(dbsession):
    return list(dbsession.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# -- details and password ------------------------------------------------


def test_account_page_shows_who_is_logged_in(anonymous_app, make_user, site_root):
    ann = make_user("ann", "Ann Archer", groups=["editors", "berlin"])
    login_as(anonymous_app, ann)

    page = anonymous_app.get("/account")

    assert page.html.select_one("#account-login").get_text(strip=True) == "ann"
    assert page.html.select_one("#account-name").get_text(strip=True) == "Ann Archer"
    assert page.html.select_one("#account-email").get_text(strip=True) == "ann@example.com"
    groups = [b.get_text(strip=True) for b in page.html.select("#account-groups .badge")]
    assert groups == ["Berlin", "Editors"]
    for field in ("current_password", "new_password", "new_password_repeat"):
        assert page.html.select_one(f"label[for=password-{field}]") is not None


def test_anonymous_visitor_is_sent_to_log_in(anonymous_app):
    answer = anonymous_app.get("/account", status=302)

    assert answer.location == SITE + "/login?came_from=http%3A%2F%2Fexample.com%2Faccount"


def change_password_form(app, current=TEST_PASSWORD, new=NEW_PASSWORD, repeat=None):
    form = app.get("/account").forms["password-form"]
    form["current_password"] = current
    form["new_password"] = new
    form["new_password_repeat"] = new if repeat is None else repeat
    return form


def test_changing_the_password_keeps_this_session(testapp, staff_user, dbsession):
    answer = change_password_form(testapp).submit(status=303)

    assert answer.location == SITE + "/account"
    page = answer.follow()
    assert flash_messages(page) == [
        "Your password was changed. Your other sessions have been logged out."
    ]
    assert testapp.get("/account").status_int == 200
    dbsession.expire_all()
    assert verify_password(staff_user.password_hash, NEW_PASSWORD)
    assert "user.password_set" in audit_actions(dbsession)


def test_changing_the_password_ends_other_sessions(testapp, staff_user, charter_app, db_connection):
    # Another browser with a session begun under the current password.
    other = login_as(new_client(charter_app, db_connection), staff_user)
    assert other.get("/account").status_int == 200

    change_password_form(testapp).submit(status=303)

    assert other.get("/account", status=302).location.startswith(SITE + "/login?")


def test_wrong_current_password_is_refused_beside_its_field(testapp, staff_user, dbsession):
    old_hash = staff_user.password_hash

    page = change_password_form(testapp, current="not my password").submit(status=400)

    assert error_beside(page, "password-current_password") == "this is not your current password"
    assert "is-invalid" in page.html.select_one("#password-current_password")["class"]
    dbsession.expire_all()
    assert staff_user.password_hash == old_hash
    assert "user.password_set" not in audit_actions(dbsession)
    assert testapp.get("/account").status_int == 200


def test_too_short_new_password_is_refused_beside_its_field(testapp, staff_user, dbsession):
    old_hash = staff_user.password_hash

    page = change_password_form(testapp, new="short").submit(status=400)

    assert error_beside(page, "password-new_password") == "use at least 10 characters"
    assert error_beside(page, "password-current_password") is None
    dbsession.expire_all()
    assert staff_user.password_hash == old_hash


def test_new_password_typed_differently_twice_is_refused(testapp, staff_user, dbsession):
    old_hash = staff_user.password_hash

    page = change_password_form(testapp, repeat=NEW_PASSWORD + "!").submit(status=400)

    assert error_beside(page, "password-new_password_repeat") == "the two new passwords differ"
    dbsession.expire_all()
    assert staff_user.password_hash == old_hash


# -- API tokens ------------------------------------------------------------


def create_token(app, name="nightly report", scope="read", expires="", status=200):
    form = app.get("/account/tokens").forms["create-token-form"]
    form["name"] = name
    form["scope"] = scope
    form["expires"] = expires
    return form.submit(status=status)


def token_count(dbsession, user):
    return dbsession.scalar(select(func.count()).where(ApiToken.user_id == user.id))


def test_new_token_is_shown_once_and_stored_as_a_hash(testapp, staff_user, dbsession):
    page = create_token(testapp, scope="read-write")

    text = page.html.select_one("#new-token-text")["value"]
    assert text.startswith("charter_")
    assert "it will not be shown again" in page.html.select_one("#new-token").get_text()
    assert page.headers["Cache-Control"] == "no-store"
    token = dbsession.scalars(select(ApiToken).where(ApiToken.user_id == staff_user.id)).one()
    assert token.token_hash == token_digest(text)
    assert (token.name, token.scope) == ("nightly report", "read-write")

    listing = testapp.get("/account/tokens")

    assert text not in listing.text
    assert listing.html.select_one("#new-token") is None
    row = listing.html.select_one(".token-row")
    assert row.select_one(".token-name").get_text(strip=True) == "nightly report"
    assert row.select_one(".token-prefix").get_text(strip=True) == text[:12] + "…"
    assert row.select_one(".token-last-used").get_text(strip=True) == "never"
    assert row.select_one(".token-status").get_text(strip=True) == "active"


def test_new_token_works_as_bearer_on_the_api(testapp, site_root, charter_app, db_connection):
    text = create_token(testapp).html.select_one("#new-token-text")["value"]
    integration = new_client(charter_app, db_connection)

    answer = integration.get("/api/v1/content/", headers={"Authorization": f"Bearer {text}"})

    assert answer.json["title"] == "Charter Test"
    row = testapp.get("/account/tokens").html.select_one(".token-row")
    assert row.select_one(".token-last-used").get_text(strip=True) != "never"


def test_revoked_token_no_longer_works(testapp, site_root, dbsession, charter_app, db_connection):
    text = create_token(testapp).html.select_one("#new-token-text")["value"]
    integration = new_client(charter_app, db_connection)
    integration.get("/api/v1/content/", headers={"Authorization": f"Bearer {text}"}, status=200)
    listing = testapp.get("/account/tokens")
    revoke = next(form for form in listing.forms.values() if "token_id" in form.fields)

    page = revoke.submit(status=303).follow()

    assert flash_messages(page) == ["The token “nightly report” was revoked; it no longer works."]
    assert page.html.select_one(".token-status .badge").get_text(strip=True) == "revoked"
    assert page.html.select(".revoke-token") == []
    answer = integration.get(
        "/api/v1/content/", headers={"Authorization": f"Bearer {text}"}, status=401
    )
    assert answer.content_type == "application/problem+json"
    assert audit_actions(dbsession).count("token.revoked") == 1


def test_token_without_a_name_is_refused_beside_the_field(testapp, staff_user, dbsession):
    page = create_token(testapp, name="  ", status=400)

    assert error_beside(page, "token-name") == "give the token a name of 1 to 100 characters"
    assert page.html.select_one("#new-token") is None
    assert token_count(dbsession, staff_user) == 0


@pytest.mark.parametrize(
    ("expires", "message"),
    [("2001-01-01", "the expiry must be in the future"), ("next week", None)],
)
def test_bad_expiry_is_refused_and_the_input_kept(testapp, staff_user, dbsession, expires, message):
    form = testapp.get("/account/tokens").forms["create-token-form"]
    form["name"] = "partner feed"
    # A browser's date input sends YYYY-MM-DD; other clients may send anything.
    form["expires"].force_value(expires)

    page = form.submit(status=400)

    assert error_beside(page, "token-expires") == (message or "enter a date such as 2030-01-31")
    assert page.forms["create-token-form"]["name"].value == "partner feed"
    assert token_count(dbsession, staff_user) == 0


def test_token_with_an_expiry_lists_it(testapp, staff_user, dbsession):
    next_year = dt.datetime.now(dt.UTC).year + 1

    create_token(testapp, expires=f"{next_year}-03-01")

    token = dbsession.scalars(select(ApiToken).where(ApiToken.user_id == staff_user.id)).one()
    assert token.expires == dt.datetime(next_year, 3, 1, tzinfo=dt.UTC)
    row = testapp.get("/account/tokens").html.select_one(".token-row")
    assert f"{next_year}-03-01 00:00 UTC" in row.get_text()


def test_someone_elses_token_cannot_be_revoked(testapp, make_user, dbsession):
    other = make_user("olga")
    token, _ = TokenService(dbsession).create(other, "olga's")
    dbsession.flush()
    csrf = testapp.get("/account/tokens").forms["create-token-form"]["csrf_token"].value

    testapp.post(
        "/account/tokens",
        {"csrf_token": csrf, "action": "revoke", "token_id": str(token.id)},
        status=404,
    )

    dbsession.expire_all()
    assert token.revoked is None


def test_read_only_token_cannot_create_tokens(anonymous_app, staff_user, dbsession):
    _, text = TokenService(dbsession).create(staff_user, "reader")
    dbsession.flush()

    anonymous_app.post(
        "/account/tokens",
        {"action": "create", "name": "more power", "scope": "read-write"},
        headers={"Authorization": f"Bearer {text}"},
        status=403,
    )

    assert token_count(dbsession, staff_user) == 1


# -- name and email, as PATCH /api/v1/me changes them ---------------------------


def test_a_person_changes_their_own_name_and_email(anonymous_app, make_user, site_root, dbsession):
    ann = make_user("ann", "Ann Archer")
    login_as(anonymous_app, ann)
    form = anonymous_app.get("/account").forms["details-form"]
    assert (form["full_name"].value, form["email"].value) == ("Ann Archer", "ann@example.com")
    form["full_name"] = "Ann Archer-Smith"
    form["email"] = "ann.smith@example.com"

    page = form.submit(status=303).follow()

    assert page.html.select_one("#account-name").get_text(strip=True) == "Ann Archer-Smith"
    assert page.html.select_one("#account-email").get_text(strip=True) == "ann.smith@example.com"
    assert page.html.select_one("#current-user").get_text(strip=True) == "Ann Archer-Smith"
    assert "Your details were saved." in page.text
    dbsession.refresh(ann)
    assert (ann.full_name, ann.email) == ("Ann Archer-Smith", "ann.smith@example.com")
    assert "user.updated" in audit_actions(dbsession)


def test_a_bad_email_is_refused_beside_it_and_nothing_changes(
    anonymous_app, make_user, site_root, dbsession
):
    ann = make_user("ann", "Ann Archer")
    login_as(anonymous_app, ann)
    form = anonymous_app.get("/account").forms["details-form"]
    form["full_name"] = "Someone Else"
    form["email"] = "not an address"

    page = form.submit(status=400)

    error = page.html.select_one("#details-email-error").get_text(strip=True)
    assert error == "enter an email address such as ann@example.com"
    assert page.forms["details-form"]["email"].value == "not an address"
    assert page.forms["details-form"]["full_name"].value == "Someone Else"
    dbsession.refresh(ann)
    assert (ann.full_name, ann.email) == ("Ann Archer", "ann@example.com")


def test_the_page_no_longer_says_only_an_administrator_changes_the_name(
    anonymous_app, make_user, site_root
):
    login_as(anonymous_app, make_user("ann", "Ann Archer"))

    page = anonymous_app.get("/account")

    assert "An administrator changes your name" not in page.text
