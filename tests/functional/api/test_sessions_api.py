"""``/api/v1/me/sessions`` and ``/api/v1/users/<id>/sessions``: listing and ending sessions."""

import pytest
import webtest
from sqlalchemy import select

from charter.audit.models import AuditEntry
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.sessions.cookies import COOKIE_NAME
from charter.sessions.models import UserSession
from charter.testing.assertions import assert_problem
from charter.testing.sessions import login_as

SITE = "http://example.com"
SESSIONS = "/api/v1/me/sessions"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def browser(charter_app, db_connection):
    """``browser(user, user_agent="", address="192.0.2.1")``: a new client logged in as ``user``."""

    def log_in(user, user_agent="", address="192.0.2.1"):
        environ = {
            TEST_CONNECTION_ENVIRON_KEY: db_connection,
            "HTTP_HOST": "example.com",
            "REMOTE_ADDR": address,
        }
        if user_agent:
            environ["HTTP_USER_AGENT"] = user_agent
        return login_as(webtest.TestApp(charter_app, extra_environ=environ), user)

    return log_in


@pytest.fixture
def ann(make_user):
    return make_user("ann", "Ann Archer")


@pytest.fixture
def anns_browsers(ann, browser):
    """Ann on her laptop (Firefox) and on her phone."""
    laptop = browser(ann, "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0")
    phone = browser(ann, IPHONE, address="198.51.100.4")
    return laptop, phone


def csrf(app):
    """The X-CSRF-Token header of ``app``'s session, from the logout form of a page."""
    page = app.get("/account")
    form = next(f for f in page.forms.values() if f.action.endswith("/logout"))
    return {"X-CSRF-Token": form["csrf_token"].value}


def is_logged_in(app):
    return app.get("/api/v1/me", status=(200, 401)).status_int == 200


def audit_actions(dbsession):
    dbsession.expire_all()
    return list(dbsession.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def session_ids(dbsession, user):
    dbsession.expire_all()
    return list(
        dbsession.scalars(
            select(UserSession.id).where(UserSession.user_id == user.id).order_by(UserSession.id)
        )
    )


def test_the_caller_lists_their_sessions_and_this_one_is_marked(anns_browsers, ann, dbsession):
    laptop, _ = anns_browsers
    laptop_id, phone_id = session_ids(dbsession, ann)

    items = laptop.get(SESSIONS).json["items"]

    by_id = {item["id"]: item for item in items}
    assert set(by_id) == {laptop_id, phone_id}
    phone = by_id[phone_id]
    assert phone["@id"] == f"{SITE}{SESSIONS}/{phone_id}"
    assert phone["device"] == "Mobile Safari 17 on iOS 17 (iPhone)"
    assert phone["user_agent"] == IPHONE
    assert phone["address"] == "198.51.100.4"
    assert phone["current"] is False
    assert by_id[laptop_id]["current"] is True
    assert by_id[laptop_id]["device"] == "Firefox 120 on Linux"
    for item in items:
        assert set(item) == {
            "@id",
            "id",
            "device",
            "user_agent",
            "address",
            "created",
            "last_seen",
            "expires",
            "current",
        }
        assert item["created"] <= item["last_seen"] < item["expires"]


def test_no_key_or_hash_is_ever_shown(anns_browsers, ann, dbsession):
    laptop, phone = anns_browsers
    hashes = list(dbsession.scalars(select(UserSession.key_hash)))
    cookie = phone.cookies[COOKIE_NAME].strip('"')

    text = (
        laptop.get(SESSIONS).text + laptop.get(f"{SESSIONS}/{session_ids(dbsession, ann)[1]}").text
    )

    assert cookie.split(".")[1] not in text
    assert not any(h in text for h in hashes)


def test_one_session_is_shown_on_its_own(anns_browsers, ann, dbsession):
    laptop, _ = anns_browsers
    _, phone_id = session_ids(dbsession, ann)

    body = laptop.get(f"{SESSIONS}/{phone_id}").json

    assert (body["id"], body["current"], body["address"]) == (phone_id, False, "198.51.100.4")


def test_with_a_token_no_session_is_current(anns_browsers, anonymous_app, bearer, ann):
    items = anonymous_app.get(SESSIONS, headers=bearer(ann, "read")).json["items"]

    assert len(items) == 2
    assert not any(item["current"] for item in items)


def test_ending_another_session_logs_it_out(anns_browsers, ann, dbsession):
    laptop, phone = anns_browsers
    laptop_id, phone_id = session_ids(dbsession, ann)

    laptop.delete(f"{SESSIONS}/{phone_id}", headers=csrf(laptop), status=204)

    assert not is_logged_in(phone)
    assert is_logged_in(laptop)
    assert session_ids(dbsession, ann) == [laptop_id]
    assert audit_actions(dbsession)[-1] == "session.ended"


def test_ending_this_session_logs_this_client_out(anns_browsers, ann, dbsession):
    laptop, phone = anns_browsers
    laptop_id, phone_id = session_ids(dbsession, ann)

    answer = laptop.delete(f"{SESSIONS}/{laptop_id}", headers=csrf(laptop), status=204)

    assert any(h.startswith(f"{COOKIE_NAME}=;") for h in answer.headers.getall("Set-Cookie"))
    assert not is_logged_in(laptop)
    assert is_logged_in(phone)
    assert session_ids(dbsession, ann) == [phone_id]


def test_someone_elses_session_is_not_found(anns_browsers, browser, make_user, dbsession, ann):
    bob = make_user("bob")
    bobs = browser(bob)
    phone = anns_browsers[1]
    _, phone_id = session_ids(dbsession, ann)

    for method in ("get", "delete"):
        answer = getattr(bobs, method)(f"{SESSIONS}/{phone_id}", headers=csrf(bobs), status=404)
        assert_problem(answer, 404)

    assert is_logged_in(phone)


@pytest.mark.parametrize("session_id", ["999999999", "999999999999999999"])
def test_an_unknown_session_is_not_found(anns_browsers, session_id):
    laptop, _ = anns_browsers

    assert_problem(laptop.delete(f"{SESSIONS}/{session_id}", headers=csrf(laptop), status=404), 404)


def test_ending_every_other_session_keeps_this_one_under_a_new_key(
    anns_browsers, ann, dbsession, charter_app, db_connection
):
    laptop, phone = anns_browsers
    laptop_id, _ = session_ids(dbsession, ann)
    old_cookie = laptop.cookies[COOKIE_NAME].strip('"')

    laptop.delete(SESSIONS, headers=csrf(laptop), status=204)

    assert is_logged_in(laptop)
    assert not is_logged_in(phone)
    assert session_ids(dbsession, ann) == [laptop_id]
    replay = webtest.TestApp(
        charter_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    replay.set_cookie(COOKIE_NAME, old_cookie)
    assert not is_logged_in(replay)
    assert audit_actions(dbsession)[-1] == "sessions.ended_all"


def test_a_read_write_token_ends_every_session(
    anns_browsers, anonymous_app, bearer, ann, dbsession
):
    anonymous_app.delete(SESSIONS, headers=bearer(ann), status=204)

    assert session_ids(dbsession, ann) == []
    assert not any(is_logged_in(b) for b in anns_browsers)


def test_a_read_token_may_list_but_not_end_sessions(
    anns_browsers, anonymous_app, bearer, ann, dbsession
):
    headers = bearer(ann, "read")
    laptop_id, _ = session_ids(dbsession, ann)

    anonymous_app.get(SESSIONS, headers=headers, status=200)
    for url in (SESSIONS, f"{SESSIONS}/{laptop_id}"):
        refused = assert_problem(anonymous_app.delete(url, headers=headers, status=403), 403)
        assert "may only read" in refused["detail"]

    assert len(session_ids(dbsession, ann)) == 2


def test_a_cookie_delete_without_the_csrf_token_is_refused(anns_browsers, ann, dbsession):
    laptop, phone = anns_browsers
    _, phone_id = session_ids(dbsession, ann)

    for url in (SESSIONS, f"{SESSIONS}/{phone_id}"):
        assert_problem(laptop.delete(url, status=400), 400)

    assert is_logged_in(phone)


def test_the_anonymous_are_told_to_log_in(anonymous_app, ann):
    for method, url in (("get", SESSIONS), ("delete", SESSIONS), ("delete", f"{SESSIONS}/1")):
        answer = getattr(anonymous_app, method)(url, status=401)
        assert_problem(answer, 401)


@pytest.mark.parametrize(
    ("url", "allow"),
    [(SESSIONS, "GET, HEAD, DELETE"), (f"{SESSIONS}/1", "GET, HEAD, DELETE")],
)
def test_other_methods_are_405_with_allow(testapp, url, allow):
    answer = testapp.put(url, status=405)

    assert answer.headers["Allow"] == allow


# -- an administrator ending someone's sessions ---------------------------------------------


def test_an_administrator_ends_every_session_of_someone(anns_browsers, admin_app, ann, dbsession):
    admin_app.delete(f"/api/v1/users/{ann.id}/sessions", headers=csrf(admin_app), status=204)

    assert session_ids(dbsession, ann) == []
    assert not any(is_logged_in(b) for b in anns_browsers)
    assert is_logged_in(admin_app)
    entry = dbsession.scalars(
        select(AuditEntry).where(AuditEntry.action == "sessions.ended_all")
    ).one()
    assert (entry.actor_login, entry.target) == ("admin", f"user:{ann.id}")
    assert entry.details["reason"] == "ended by an administrator"


def test_an_administrator_token_ends_someones_sessions(
    anns_browsers, anonymous_app, admin_user, bearer, ann, dbsession
):
    anonymous_app.delete(f"/api/v1/users/{ann.id}/sessions", headers=bearer(admin_user), status=204)

    assert session_ids(dbsession, ann) == []


def test_only_administrators_end_someone_elses_sessions(
    anns_browsers, browser, make_user, anonymous_app, admin_user, bearer, ann, dbsession
):
    bob = browser(make_user("bob"))
    url = f"/api/v1/users/{ann.id}/sessions"

    assert_problem(bob.delete(url, headers=csrf(bob), status=403), 403)
    assert_problem(anonymous_app.delete(url, status=401), 401)
    assert_problem(anonymous_app.delete(url, headers=bearer(admin_user, "read"), status=403), 403)
    assert len(session_ids(dbsession, ann)) == 2


def test_ending_the_sessions_of_an_unknown_account_is_not_found(admin_app):
    answer = admin_app.delete("/api/v1/users/999999/sessions", headers=csrf(admin_app), status=404)

    assert_problem(answer, 404)


def test_the_users_sessions_url_answers_only_delete(admin_app, ann):
    answer = admin_app.get(f"/api/v1/users/{ann.id}/sessions", status=405)

    assert answer.headers["Allow"] == "DELETE"
